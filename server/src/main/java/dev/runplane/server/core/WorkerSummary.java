package dev.runplane.server.core;

import java.time.Instant;
import java.util.List;

/**
 * A worker as ListWorkers answers it: what the last recorded sighting says (at most
 * {@link WorkerWindows#writeInterval()} old), and what it holds now.
 *
 * @param pipelines    the pipelines of its last recorded Poll
 * @param runningCount executions it holds in RUNNING or CANCELLING
 * @param keyId        the API key it called with; empty without keys
 */
public record WorkerSummary(String workerId, List<String> pipelines, Instant lastSeenTime, long runningCount,
                            String keyId) {
}
