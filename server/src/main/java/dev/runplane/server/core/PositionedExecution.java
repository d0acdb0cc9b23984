package dev.runplane.server.core;

/**
 * An execution as GetExecution (and AwaitExecution) answers it: with its queue position, which no
 * other answer carries (it is counted when asked, never stored).
 *
 * @param queuePosition 1-based for a claimable QUEUED execution; 0 otherwise
 */
public record PositionedExecution(Execution execution, int queuePosition) {
}
