package dev.runplane.server.grpc;

import com.google.protobuf.CodedOutputStream;
import dev.runplane.server.core.Limits;
import dev.runplane.server.core.Mode;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.core.Trigger;
import dev.runplane.server.core.TriggerKind;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;

/** Checks a RunRequest against the contract and the limits, and turns it into a {@link NewExecution}. */
final class RunRequestValidator {

    static final Duration MAX_RUNTIME = Duration.ofDays(30);
    /** RunBatch's limit: one batch is at most one statement of the store's group commit. */
    static final int MAX_BATCH = 100;

    private final Limits limits;

    RunRequestValidator(Limits limits) {
        this.limits = limits;
    }

    /** @param actor who calls ({@link dev.runplane.server.grpc.auth.Callers#current}), recorded on the execution's first event */
    NewExecution validate(RunRequest request, String actor) {
        RequestChecks checks = new RequestChecks();
        String pipeline = checks.pipeline("pipeline", request.getPipeline());
        String inputs = checks.json("inputs", request.hasInputs(), request.getInputs(), limits.maxPayloadBytes(), "{}");
        Map<String, String> labels = request.getLabelsMap();
        checks.labels("labels", labels, limits);
        Mode mode = switch (request.getMode()) {
            case EXECUTION_MODE_UNSPECIFIED, EXECUTION_MODE_PRODUCTION -> Mode.PRODUCTION;
            case EXECUTION_MODE_EXPERIMENT -> Mode.EXPERIMENT;
            default -> {
                checks.fail("mode", "must be EXECUTION_MODE_PRODUCTION or EXECUTION_MODE_EXPERIMENT");
                yield null;
            }
        };
        int priority = checks.range("priority", request.getPriority(), limits.minPriority(), limits.maxPriority());
        String requestId = checks.text("request_id", request.getRequestId(), 128);
        String dedupKey = checks.text("dedup_key", request.getDedupKey(), 256);
        var scheduledFor = checks.time("scheduled_for", request.hasScheduledFor(), request.getScheduledFor());
        var parentId = checks.optionalId("parent_id", request.getParentId());
        Duration maxRuntime = checks.positiveDuration("max_runtime", request.hasMaxRuntime(), request.getMaxRuntime(),
                MAX_RUNTIME);
        int maxAttempts = request.getMaxAttempts() == 0 ? 1
                : checks.range("max_attempts", request.getMaxAttempts(), 1, limits.maxAttempts());
        Trigger trigger = trigger(checks, request);
        checks.throwIfInvalid();
        return NewExecution.builder(pipeline)
                .mode(mode)
                .priority(priority)
                .labels(labels)
                .inputsJson(inputs)
                .trigger(trigger)
                .parentId(parentId)
                .request(requestId, requestId == null ? null : fingerprint(request))
                .dedupKey(dedupKey)
                .maxAttempts(maxAttempts)
                .maxRuntime(maxRuntime)
                .scheduledFor(scheduledFor)
                .actor(actor)
                .build();
    }

    /** RunBatch's own rule: 1 to MAX_BATCH runs (each is checked as a Run of its own). */
    void validateBatch(RunBatchRequest request) {
        RequestChecks checks = new RequestChecks();
        checks.batch("runs", request.getRunsCount(), MAX_BATCH);
        checks.throwIfInvalid();
    }

    private Trigger trigger(RequestChecks checks, RunRequest request) {
        if (!request.hasTrigger()) {
            return Trigger.api();
        }
        var trigger = request.getTrigger();
        TriggerKind kind = switch (trigger.getKind()) {
            case TRIGGER_KIND_UNSPECIFIED -> TriggerKind.API;
            case UNRECOGNIZED -> {
                checks.fail("trigger.kind", "is not a known trigger kind");
                yield TriggerKind.API;
            }
            // Only the server sets it, on the execution that Rerun creates (with rerun_of pointing back).
            case TRIGGER_KIND_RERUN -> {
                checks.fail("trigger.kind", "TRIGGER_KIND_RERUN is set by the server on a Rerun's execution only;"
                        + " call Rerun to rerun an execution");
                yield TriggerKind.API;
            }
            default -> ProtoMapper.fromProto(trigger.getKind());
        };
        String actor = checks.text("trigger.actor", trigger.getActor(), 256);
        String variables = checks.json("trigger.variables", trigger.hasVariables(), trigger.getVariables(),
                limits.maxPayloadBytes(), null);
        return new Trigger(kind, actor == null ? "" : actor, variables);
    }

    /** A digest of the whole request: a retry with the same request_id must carry the same request. */
    static String fingerprint(com.google.protobuf.Message request) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.useDeterministicSerialization(); // map entries in key order
            request.writeTo(out);
            out.flush();
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
