package dev.runplane.server.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A validated Run request: what the store needs to create an execution.
 *
 * @param scheduledFor not claimable before; null means now
 * @param requestFingerprint a digest of the whole request, to tell a retry from a conflicting reuse
 *                           of the same request id
 * @param actor who asked for it, as its first event records it ({@link Actors}: {@code key:<key id>}, ...)
 */
public record NewExecution(
        String pipeline,
        Mode mode,
        int priority,
        Map<String, String> labels,
        String inputsJson,
        Trigger trigger,
        UUID parentId,
        UUID rerunOf,
        String requestId,
        String requestFingerprint,
        String dedupKey,
        int maxAttempts,
        Duration maxRuntime,
        Instant scheduledFor,
        String actor) {
}
