package dev.runplane.server.core.error;

/**
 * A live watch stream was ended by the server, not by its client: the replica is stopping, or the
 * database stopped answering. The client resumes after the last event it received (UNAVAILABLE, with
 * the resume point in the message and in ErrorInfo metadata), on another replica or once it is back.
 */
public final class WatchInterruptedException extends RunplaneException {

    /** Why the stream ended; the name is the ErrorInfo reason. */
    public enum Reason {
        SERVER_STOPPING("the server is shutting down; resume on another replica"),
        DATABASE_UNAVAILABLE("the database is unavailable; resume when it is back");

        private final String message;

        Reason(String message) {
            this.message = message;
        }
    }

    /**
     * @param lastSequence where to resume: the sequence of the last event delivered (or considered), -1
     *                     for the start of the log, 0 if none (then no {@code after_sequence})
     * @param lastRevision the revision of the last event delivered (WatchExecution), 0 if none
     */
    public WatchInterruptedException(Reason reason, long lastSequence, long lastRevision) {
        super(Kind.WATCH_INTERRUPTED, reason.name(),
                entries("after_sequence", lastSequence != 0 ? Long.toString(lastSequence) : null,
                        "after_revision", lastRevision > 0 ? Long.toString(lastRevision) : null),
                reason.message
                        + (lastSequence != 0 ? " with after_sequence=" + lastSequence : "")
                        + (lastRevision > 0 ? " (WatchExecution: after_revision=" + lastRevision + ")" : ""), null);
    }
}
