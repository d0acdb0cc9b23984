package dev.runplane.server.core;

/**
 * A live watch stream was ended by the server, not by its client: the replica is stopping, or the
 * database stopped answering. The client resumes after the last event it received (UNAVAILABLE, with
 * the resume point in the message and in ErrorInfo metadata), on another replica or once it is back.
 *
 * @param lastSequence the sequence of the last event delivered, 0 if none
 * @param lastRevision the revision of the last event delivered (WatchExecution), 0 if none
 */
public final class WatchInterruptedException extends RuntimeException {

    /** Why the stream ended; the name is the ErrorInfo reason. */
    public enum Reason {
        SERVER_STOPPING("the server is shutting down; resume on another replica"),
        DATABASE_UNAVAILABLE("the database is unavailable; resume when it is back");

        private final String message;

        Reason(String message) {
            this.message = message;
        }
    }

    private final Reason reason;
    private final long lastSequence;
    private final long lastRevision;

    public WatchInterruptedException(Reason reason, long lastSequence, long lastRevision) {
        super(reason.message
                + (lastSequence > 0 ? " with after_sequence=" + lastSequence : "")
                + (lastRevision > 0 ? " (WatchExecution: after_revision=" + lastRevision + ")" : ""));
        this.reason = reason;
        this.lastSequence = lastSequence;
        this.lastRevision = lastRevision;
    }

    public Reason reason() {
        return reason;
    }

    public long lastSequence() {
        return lastSequence;
    }

    public long lastRevision() {
        return lastRevision;
    }
}
