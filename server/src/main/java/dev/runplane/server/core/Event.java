package dev.runplane.server.core;

import java.time.Instant;
import java.util.UUID;

/**
 * One committed change of an execution.
 *
 * @param fromStatus null for the event that created the execution
 * @param execution  the execution as of this change, without steps, inputs and outputs
 */
public record Event(long sequence, UUID executionId, long revision, ExecutionState fromStatus,
                             ExecutionState toStatus, Instant eventTime, String actor, String reason,
                             Execution execution) {
}
