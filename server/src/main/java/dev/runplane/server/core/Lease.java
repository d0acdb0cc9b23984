package dev.runplane.server.core;

import java.time.Instant;
import java.util.UUID;

/**
 * A worker's time-limited right to one attempt of one execution. The token changes with every
 * claim, so a worker that lost its lease (expired and re-queued, a newer attempt) is fenced off.
 */
public record Lease(UUID executionId, int attempt, String token, Instant expireTime) {
}
