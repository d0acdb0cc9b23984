package dev.runplane.server.core;

import java.time.Instant;

/**
 * One message of a watch stream: a change, a snapshot row, the end of the snapshot, or a heartbeat.
 * The resume points they carry ({@code sequence}) follow {@link ExecutionWatch#FROM_START}'s rules: a
 * stored event's sequence, or -1 for "from the oldest retained event"; 0 only where there is none yet.
 */
public sealed interface WatchMessage {

    /** A committed change. */
    record Change(Event event) implements WatchMessage {
    }

    /** With a snapshot: one matching execution as it is now (without steps, inputs and outputs). */
    record SnapshotRow(Execution execution) implements WatchMessage {
    }

    /**
     * Every snapshot row was sent, and every change that committed while they were read and that they
     * do not show: resuming after {@code sequence} is exact.
     *
     * @param truncated more executions matched than the cap; the most recently created were sent
     */
    record SnapshotEnd(long sequence, int count, boolean truncated) implements WatchMessage {
    }

    /**
     * A sign of life on a quiet stream.
     *
     * @param sequence WatchExecutions: where to resume so that nothing already sent is replayed (0 while
     *                 a snapshot is under way: there is no resume point before its end)
     * @param revision WatchExecution: the revision of the last event sent (0 if none)
     */
    record Heartbeat(Instant time, long sequence, long revision) implements WatchMessage {
    }
}
