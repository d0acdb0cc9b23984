package dev.runplane.server.core;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One run of a pipeline, as stored. JSON-valued fields hold JSON object text (null when absent);
 * optional references and times are null when absent.
 */
public record Execution(
        UUID id,
        String pipeline,
        ExecutionState status,
        Mode mode,
        int priority,
        Map<String, String> labels,
        String inputsJson,
        String outputsJson,
        List<Step> steps,
        String message,
        String error,
        Trigger trigger,
        UUID parentId,
        UUID rerunOf,
        UUID duplicateOf,
        String requestId,
        String dedupKey,
        int attempt,
        int maxAttempts,
        Duration maxRuntime,
        Instant scheduledFor,
        Instant createTime,
        Instant queueTime,
        Instant startTime,
        Instant endTime,
        Instant updateTime,
        String workerId,
        long revision) {

    public Execution withSteps(List<Step> newSteps) {
        return new Execution(id, pipeline, status, mode, priority, labels, inputsJson, outputsJson, newSteps,
                message, error, trigger, parentId, rerunOf, duplicateOf, requestId, dedupKey, attempt, maxAttempts,
                maxRuntime, scheduledFor, createTime, queueTime, startTime, endTime, updateTime, workerId, revision);
    }

    /** Time spent queued before the current attempt started, or until {@code now} while it waits. */
    public Duration waitingTime(Instant now) {
        if (queueTime == null) {
            return null;
        }
        Instant until = startTime != null && !startTime.isBefore(queueTime) ? startTime
                : status == ExecutionState.QUEUED ? now
                : endTime != null ? endTime : now;
        return Duration.between(queueTime, until);
    }

    /** Time spent running, until the end or until {@code now} while it runs. */
    public Duration executionTime(Instant now) {
        if (startTime == null) {
            return null;
        }
        return Duration.between(startTime, endTime != null ? endTime : now);
    }
}
