package dev.runplane.server.grpc;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import dev.runplane.client.StructJson;
import dev.runplane.server.core.Assignment;
import dev.runplane.server.core.Event;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.Lease;
import dev.runplane.server.core.Mode;
import dev.runplane.server.core.PositionedExecution;
import dev.runplane.server.core.QueueSummary;
import dev.runplane.server.core.Step;
import dev.runplane.server.core.StepState;
import dev.runplane.server.core.Trigger;
import dev.runplane.server.core.TriggerKind;
import dev.runplane.server.core.WorkerSummary;
import dev.runplane.server.core.auth.ApiKey;
import dev.runplane.server.core.auth.Scope;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionMode;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.StepStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Converts between the domain types of {@code core} and the runplane.v1 messages: the one place where
 * both meet. Core types whose proto twin other api classes must name have other names (Event,
 * ExecutionState, Mode, StepState, Rerun); Execution, Step, Trigger, Lease, Assignment and ApiKey keep
 * the domain's words, so their proto messages are spelled out here, and only here.
 */
public final class ProtoMapper {

    private ProtoMapper() {
    }

    public static dev.runplane.v1.Execution toProto(Execution e) {
        return toProto(e, Instant.now());
    }

    /** The execution as clients see it; durations that are still growing are measured at {@code now}. */
    public static dev.runplane.v1.Execution toProto(Execution e, Instant now) {
        dev.runplane.v1.Execution.Builder b = dev.runplane.v1.Execution.newBuilder()
                .setId(e.id().toString())
                .setPipeline(e.pipeline())
                .setStatus(toProto(e.status()))
                .setMode(toProto(e.mode()))
                .setPriority(e.priority())
                .putAllLabels(e.labels())
                .setMessage(nullToEmpty(e.message()))
                .setError(nullToEmpty(e.error()))
                .setTrigger(toProto(e.trigger()))
                .setParentId(idText(e.parentId()))
                .setRerunOf(idText(e.rerunOf()))
                .setDuplicateOf(idText(e.duplicateOf()))
                .setRequestId(nullToEmpty(e.requestId()))
                .setDedupKey(nullToEmpty(e.dedupKey()))
                .setAttempt(e.attempt())
                .setMaxAttempts(e.maxAttempts())
                .setWorkerId(nullToEmpty(e.workerId()))
                .setRevision(e.revision());
        if (e.inputsJson() != null) {
            b.setInputs(struct(e.inputsJson()));
        }
        if (e.outputsJson() != null) {
            b.setOutputs(struct(e.outputsJson()));
        }
        for (Step step : e.steps()) {
            b.addSteps(toProto(step));
        }
        if (e.maxRuntime() != null) {
            b.setMaxRuntime(duration(e.maxRuntime()));
        }
        setTime(e.scheduledFor(), b::setScheduledFor);
        setTime(e.createTime(), b::setCreateTime);
        setTime(e.queueTime(), b::setQueueTime);
        setTime(e.startTime(), b::setStartTime);
        setTime(e.endTime(), b::setEndTime);
        setTime(e.updateTime(), b::setUpdateTime);
        Duration waiting = e.waitingTime(now);
        if (waiting != null) {
            b.setWaitingTime(duration(waiting));
        }
        Duration executing = e.executionTime(now);
        if (executing != null) {
            b.setExecutionTime(duration(executing));
        }
        return b.build();
    }

    /** The execution as GetExecution and AwaitExecution answer it: with its queue position. */
    public static dev.runplane.v1.Execution toProto(PositionedExecution positioned) {
        return toProto(positioned.execution()).toBuilder().setQueuePosition(positioned.queuePosition()).build();
    }

    public static dev.runplane.v1.Queue toProto(QueueSummary queue) {
        dev.runplane.v1.Queue.Builder b = dev.runplane.v1.Queue.newBuilder()
                .setPipeline(queue.pipeline())
                .setQueuedCount(queue.queuedCount())
                .setScheduledCount(queue.scheduledCount())
                .setRunningCount(queue.runningCount())
                .setWorkerCount(queue.workerCount());
        setTime(queue.oldestQueueTime(), b::setOldestQueueTime);
        return b.build();
    }

    public static dev.runplane.v1.Worker toProto(WorkerSummary worker) {
        dev.runplane.v1.Worker.Builder b = dev.runplane.v1.Worker.newBuilder()
                .setWorkerId(worker.workerId())
                .addAllPipelines(worker.pipelines())
                .setRunningCount(Math.toIntExact(worker.runningCount()))
                .setKeyId(nullToEmpty(worker.keyId()));
        setTime(worker.lastSeenTime(), b::setLastSeenTime);
        return b.build();
    }

    public static ExecutionEvent toProto(Event event) {
        ExecutionEvent.Builder b = ExecutionEvent.newBuilder()
                .setSequence(event.sequence())
                .setExecutionId(event.executionId().toString())
                .setRevision(event.revision())
                .setToStatus(toProto(event.toStatus()))
                .setActor(nullToEmpty(event.actor()))
                .setReason(nullToEmpty(event.reason()));
        if (event.fromStatus() != null) {
            b.setFromStatus(toProto(event.fromStatus()));
        }
        setTime(event.eventTime(), b::setEventTime);
        if (event.execution() != null) {
            b.setExecution(toProto(event.execution(), event.eventTime() != null ? event.eventTime() : Instant.now()));
        }
        return b.build();
    }

    public static dev.runplane.v1.Step toProto(Step step) {
        dev.runplane.v1.Step.Builder b = dev.runplane.v1.Step.newBuilder()
                .setName(step.name())
                .setStatus(StepStatus.valueOf("STEP_STATUS_" + step.status().name()))
                .setMessage(nullToEmpty(step.message()));
        setTime(step.startTime(), b::setStartTime);
        setTime(step.endTime(), b::setEndTime);
        if (step.metricsJson() != null) {
            b.setMetrics(struct(step.metricsJson()));
        }
        return b.build();
    }

    public static dev.runplane.v1.Trigger toProto(Trigger trigger) {
        dev.runplane.v1.Trigger.Builder b = dev.runplane.v1.Trigger.newBuilder()
                .setKind(dev.runplane.v1.TriggerKind.valueOf("TRIGGER_KIND_" + trigger.kind().name()))
                .setActor(nullToEmpty(trigger.actor()));
        if (trigger.variablesJson() != null) {
            b.setVariables(struct(trigger.variablesJson()));
        }
        return b.build();
    }

    public static ExecutionStatus toProto(ExecutionState status) {
        return ExecutionStatus.valueOf("EXECUTION_STATUS_" + status.name());
    }

    public static ExecutionMode toProto(Mode mode) {
        return ExecutionMode.valueOf("EXECUTION_MODE_" + mode.name());
    }

    /** The domain status of a proto enum value that is neither UNSPECIFIED nor unknown to this server. */
    public static ExecutionState fromProto(ExecutionStatus status) {
        return ExecutionState.valueOf(status.name().substring("EXECUTION_STATUS_".length()));
    }

    public static Mode fromProto(ExecutionMode mode) {
        return Mode.valueOf(mode.name().substring("EXECUTION_MODE_".length()));
    }

    public static TriggerKind fromProto(dev.runplane.v1.TriggerKind kind) {
        return TriggerKind.valueOf(kind.name().substring("TRIGGER_KIND_".length()));
    }

    public static StepState fromProto(StepStatus status) {
        return StepState.valueOf(status.name().substring("STEP_STATUS_".length()));
    }

    public static dev.runplane.v1.Assignment toProto(Assignment assignment) {
        return dev.runplane.v1.Assignment.newBuilder().setExecution(toProto(assignment.execution()))
                .setLease(toProto(assignment.lease())).build();
    }

    public static dev.runplane.v1.Lease toProto(Lease lease) {
        dev.runplane.v1.Lease.Builder b = dev.runplane.v1.Lease.newBuilder()
                .setExecutionId(lease.executionId().toString())
                .setAttempt(lease.attempt())
                .setToken(lease.token());
        setTime(lease.expireTime(), b::setExpireTime);
        return b.build();
    }

    public static dev.runplane.v1.ApiKey toProto(ApiKey key) {
        dev.runplane.v1.ApiKey.Builder proto = dev.runplane.v1.ApiKey.newBuilder()
                .setId(key.id())
                .addAllPipelines(key.pipelines())
                .setDescription(key.description());
        key.scopes().stream().sorted().map(ProtoMapper::toProto).forEach(proto::addScopes);
        setTime(key.createTime(), proto::setCreateTime);
        setTime(key.expireTime(), proto::setExpireTime);
        setTime(key.revokeTime(), proto::setRevokeTime);
        setTime(key.lastUseTime(), proto::setLastUseTime);
        return proto.build();
    }

    /** The scope of a proto value; null for UNSPECIFIED and values newer than this server. */
    public static Scope fromProto(KeyScope scope) {
        return switch (scope) {
            case KEY_SCOPE_READ -> Scope.READ;
            case KEY_SCOPE_RUN -> Scope.RUN;
            case KEY_SCOPE_WORK -> Scope.WORK;
            case KEY_SCOPE_ADMIN -> Scope.ADMIN;
            default -> null;
        };
    }

    public static KeyScope toProto(Scope scope) {
        return switch (scope) {
            case READ -> KeyScope.KEY_SCOPE_READ;
            case RUN -> KeyScope.KEY_SCOPE_RUN;
            case WORK -> KeyScope.KEY_SCOPE_WORK;
            case ADMIN -> KeyScope.KEY_SCOPE_ADMIN;
        };
    }

    /** A stored JSON object (inputs, outputs, variables, metrics) as a Struct; see {@link StructJson}. */
    public static Struct struct(String json) {
        try {
            return StructJson.read(json);
        } catch (IllegalArgumentException e) { // jsonb prints valid JSON: only a corrupt row gets here
            throw new IllegalStateException("stored JSON is not an object: " + e.getMessage(), e);
        }
    }

    public static Instant instant(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }

    public static Duration duration(com.google.protobuf.Duration duration) {
        return Duration.ofSeconds(duration.getSeconds(), duration.getNanos());
    }

    public static com.google.protobuf.Duration duration(Duration duration) {
        return Durations.fromNanos(duration.toNanos());
    }

    /**
     * The Timestamp of an instant, built from its seconds and nanos: nanoseconds since the epoch
     * overflow a long outside 1677-09-21 .. 2262-04-11, and the API's range is 0001 .. 9999.
     */
    public static Timestamp timestamp(Instant time) {
        return Timestamp.newBuilder().setSeconds(time.getEpochSecond()).setNanos(time.getNano()).build();
    }

    private static void setTime(Instant time, java.util.function.Consumer<Timestamp> setter) {
        if (time != null) {
            setter.accept(timestamp(time));
        }
    }

    private static String idText(UUID id) {
        return id == null ? "" : id.toString();
    }

    private static String nullToEmpty(String text) {
        return text == null ? "" : text;
    }
}
