package dev.runplane.server.core;

import java.util.UUID;

/**
 * A validated Rerun request.
 *
 * @param inputsJson replaces the inputs when not null
 * @param priority   replaces the priority when not null
 * @param requestFingerprint a digest of the whole request, as in {@link NewExecution}
 */
public record Rerun(UUID id, String inputsJson, Integer priority, String requestId, String requestFingerprint) {
}
