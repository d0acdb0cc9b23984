package dev.runplane.server.core;

/**
 * The replica is stopping and ended a watch stream; the client resumes on another replica after the
 * last event it received (UNAVAILABLE, with the resume point in ErrorInfo metadata as well).
 *
 * @param lastSequence the sequence of the last event delivered, 0 if none
 * @param lastRevision the revision of the last event delivered (WatchExecution), 0 if none
 */
public final class ServerStoppingException extends RuntimeException {

    private final long lastSequence;
    private final long lastRevision;

    public ServerStoppingException(long lastSequence, long lastRevision) {
        super("the server is shutting down; resume on another replica"
                + (lastSequence > 0 ? " with after_sequence=" + lastSequence : "")
                + (lastRevision > 0 ? " (WatchExecution: after_revision=" + lastRevision + ")" : ""));
        this.lastSequence = lastSequence;
        this.lastRevision = lastRevision;
    }

    public long lastSequence() {
        return lastSequence;
    }

    public long lastRevision() {
        return lastRevision;
    }
}
