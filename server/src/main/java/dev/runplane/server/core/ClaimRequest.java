package dev.runplane.server.core;

import java.time.Duration;
import java.util.List;

/** A worker asks for up to {@code maxExecutions} queued executions of its pipelines. */
public record ClaimRequest(String workerId, List<String> pipelines, int maxExecutions, Duration leaseDuration) {
}
