package dev.runplane.server.grpc;

import com.google.protobuf.util.Durations;
import dev.runplane.server.core.ClaimRequest;
import dev.runplane.server.core.Lease;
import dev.runplane.server.core.Limits;
import dev.runplane.server.core.Step;
import dev.runplane.server.core.WorkerReport;
import dev.runplane.v1.CompleteBatchRequest;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.FailRequest;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.LeaseOrBuilder;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.StepOrBuilder;
import dev.runplane.v1.StepStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Checks WorkerService requests and turns them into core commands; every bad field is named. It reads
 * the proto Lease and Step through their generated {@code OrBuilder} views: the core types it builds
 * have those names.
 */
final class WorkerRequestValidator {

    static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(30);
    static final Duration MAX_WAIT = Duration.ofSeconds(60);
    static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    static final Duration MIN_LEASE = Duration.ofSeconds(1);
    static final Duration MAX_LEASE = Duration.ofHours(1);
    static final int MAX_PIPELINES = 64;
    static final int MAX_EXECUTIONS = 100;
    static final int MAX_BATCH = 100;
    static final int MAX_STEPS = 1000;
    static final int MAX_ERROR = 16 * 1024;
    static final int MAX_MESSAGE = 4 * 1024;

    private final Limits limits;

    WorkerRequestValidator(Limits limits) {
        this.limits = limits;
    }

    ClaimRequest poll(PollRequest request) {
        RequestChecks checks = new RequestChecks();
        if (request.getWorkerId().isEmpty()) {
            checks.fail("worker_id", "is required");
        }
        String workerId = checks.text("worker_id", request.getWorkerId(), 128);
        if (request.getPipelinesCount() == 0) {
            checks.fail("pipelines", "at least one pipeline is required");
        } else if (request.getPipelinesCount() > MAX_PIPELINES) {
            checks.fail("pipelines", "at most " + MAX_PIPELINES + " pipelines");
        }
        for (int i = 0; i < request.getPipelinesCount(); i++) {
            checks.pipeline("pipelines[" + i + "]", request.getPipelines(i));
        }
        maxWait(checks, request);
        Duration lease = lease(checks, "lease_duration", request.hasLeaseDuration(), request.getLeaseDuration());
        int max = request.getMaxExecutions() == 0 ? 1 : checks.range("max_executions", request.getMaxExecutions(), 1,
                MAX_EXECUTIONS);
        checks.throwIfInvalid();
        List<String> pipelines = request.getPipelinesList().stream().distinct().toList();
        return new ClaimRequest(workerId, pipelines, max, lease == null ? DEFAULT_LEASE : lease);
    }

    /** The wait of an already validated Poll. */
    Duration maxWait(PollRequest request) {
        RequestChecks checks = new RequestChecks();
        Duration wait = maxWait(checks, request);
        checks.throwIfInvalid();
        return wait;
    }

    private static Duration maxWait(RequestChecks checks, PollRequest request) {
        if (!request.hasMaxWait()) {
            return DEFAULT_MAX_WAIT;
        }
        if (!Durations.isValid(request.getMaxWait()) || Durations.isNegative(request.getMaxWait())) {
            checks.fail("max_wait", "must be a duration from 0 to " + MAX_WAIT.toSeconds() + "s");
            return null;
        }
        Duration wait = ProtoMapper.duration(request.getMaxWait());
        if (wait.compareTo(MAX_WAIT) > 0) {
            checks.fail("max_wait", "must be at most " + MAX_WAIT.toSeconds() + "s");
        }
        return wait;
    }

    private static Duration lease(RequestChecks checks, String field, boolean present,
                                  com.google.protobuf.Duration duration) {
        Duration lease = checks.positiveDuration(field, present, duration, MAX_LEASE);
        if (lease != null && lease.compareTo(MIN_LEASE) < 0) {
            checks.fail(field, "must be at least " + MIN_LEASE.toSeconds() + "s");
        }
        return lease;
    }

    WorkerReport heartbeat(HeartbeatRequest request) {
        RequestChecks checks = new RequestChecks();
        Lease lease = lease(checks, request.hasLease(), request.getLease());
        String message = checks.text("message", request.getMessage(), MAX_MESSAGE);
        List<Step> steps = steps(checks, request.getStepsList());
        Duration extend = lease(checks, "lease_duration", request.hasLeaseDuration(), request.getLeaseDuration());
        checks.throwIfInvalid();
        return WorkerReport.heartbeat(lease, message, steps, extend);
    }

    WorkerReport complete(CompleteRequest request) {
        RequestChecks checks = new RequestChecks();
        Lease lease = lease(checks, request.hasLease(), request.getLease());
        String outputs = checks.json("outputs", request.hasOutputs(), request.getOutputs(), limits.maxPayloadBytes(), null);
        String message = checks.text("message", request.getMessage(), MAX_MESSAGE);
        List<Step> steps = steps(checks, request.getStepsList());
        checks.throwIfInvalid();
        return WorkerReport.complete(lease, outputs, message, steps);
    }

    /** CompleteBatch's own rule: 1 to MAX_BATCH completions (each is checked as a Complete of its own). */
    void completeBatch(CompleteBatchRequest request) {
        RequestChecks checks = new RequestChecks();
        checks.batch("completions", request.getCompletionsCount(), MAX_BATCH);
        checks.throwIfInvalid();
    }

    WorkerReport fail(FailRequest request) {
        RequestChecks checks = new RequestChecks();
        Lease lease = lease(checks, request.hasLease(), request.getLease());
        String error = checks.text("error", request.getError(), MAX_ERROR);
        List<Step> steps = steps(checks, request.getStepsList());
        Duration delay = null;
        if (request.hasRetryDelay()) {
            if (!Durations.isValid(request.getRetryDelay()) || Durations.isNegative(request.getRetryDelay())) {
                checks.fail("retry_delay", "must not be negative");
            } else {
                delay = ProtoMapper.duration(request.getRetryDelay());
                if (delay.compareTo(Duration.ofDays(1)) > 0) {
                    checks.fail("retry_delay", "must be at most 1 day");
                }
            }
        }
        checks.throwIfInvalid();
        return WorkerReport.fail(lease, error == null ? "" : error, request.getRetryable(), delay, steps);
    }

    private static Lease lease(RequestChecks checks, boolean present, LeaseOrBuilder lease) {
        if (!present) {
            checks.fail("lease", "is required");
            return null;
        }
        UUID id = checks.id("lease.execution_id", lease.getExecutionId());
        if (lease.getToken().isEmpty()) {
            checks.fail("lease.token", "is required");
        }
        checks.text("lease.token", lease.getToken(), 128);
        if (lease.getAttempt() < 1) {
            checks.fail("lease.attempt", "must be at least 1");
        }
        return new Lease(id, lease.getAttempt(), lease.getToken(), null);
    }

    private List<Step> steps(RequestChecks checks, List<? extends StepOrBuilder> steps) {
        if (steps.size() > MAX_STEPS) {
            checks.fail("steps", "at most " + MAX_STEPS + " steps");
            return List.of();
        }
        List<Step> result = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < steps.size(); i++) {
            StepOrBuilder step = steps.get(i);
            String field = "steps[" + i + "]";
            if (step.getName().isEmpty()) {
                checks.fail(field + ".name", "is required");
            } else if (!names.add(step.getName())) {
                checks.fail(field + ".name", "appears twice in this request");
            }
            checks.text(field + ".name", step.getName(), 128);
            if (step.getStatus() == StepStatus.STEP_STATUS_UNSPECIFIED || step.getStatus() == StepStatus.UNRECOGNIZED) {
                checks.fail(field + ".status", "is required");
                continue;
            }
            String message = checks.text(field + ".message", step.getMessage(), MAX_MESSAGE);
            String metrics = checks.json(field + ".metrics", step.hasMetrics(), step.getMetrics(),
                    limits.maxPayloadBytes(), null);
            result.add(new Step(step.getName(), ProtoMapper.fromProto(step.getStatus()),
                    checks.time(field + ".start_time", step.hasStartTime(), step.getStartTime()),
                    checks.time(field + ".end_time", step.hasEndTime(), step.getEndTime()),
                    message, metrics));
        }
        return result;
    }
}
