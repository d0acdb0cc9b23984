package dev.runplane.server.core.error;

/**
 * A watcher did not take its events as fast as they came and its bounded buffer filled up. It is
 * ended rather than fed unbounded memory; it resumes after the last event it received.
 */
public final class WatcherTooSlowException extends RunplaneException {

    /**
     * @param lastSequence where to resume: the sequence of the last event delivered, -1 for the start
     *                     of the log, 0 if none (metadata {@code after_sequence} is always there: 0 means
     *                     start again, with a snapshot if the stream had one)
     * @param lastRevision the revision of the last event delivered (WatchExecution), 0 if none
     */
    public WatcherTooSlowException(int bufferSize, long lastSequence, long lastRevision) {
        super(Kind.WATCHER_TOO_SLOW, "WATCHER_TOO_SLOW",
                entries("after_sequence", Long.toString(lastSequence),
                        "after_revision", lastRevision > 0 ? Long.toString(lastRevision) : null),
                "the watcher fell more than " + bufferSize + " events behind and was ended; "
                        + (lastSequence == 0 ? "no event was delivered, start again"
                        : "resume with after_sequence=" + lastSequence
                                + (lastRevision > 0 ? " (WatchExecution: after_revision=" + lastRevision + ")" : "")),
                null);
    }

    private WatcherTooSlowException(String message) {
        super(Kind.WATCHER_TOO_SLOW, "WATCHER_TOO_SLOW", entries("after_sequence", "0", "after_revision", null),
                message, null);
    }

    /**
     * A WatchExecutions client did not take its snapshot's rows within {@code limit}: a client that
     * stops reading would otherwise hold one of the few snapshot reads (and its connection) for as
     * long as it likes. There is no resume point before the snapshot's end: it starts again.
     */
    public static WatcherTooSlowException snapshot(java.time.Duration limit) {
        return new WatcherTooSlowException("the watcher did not take its snapshot within " + limit.toSeconds()
                + "s and was ended; start again (with snapshot)");
    }
}
