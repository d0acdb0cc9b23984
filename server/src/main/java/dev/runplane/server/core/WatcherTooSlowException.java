package dev.runplane.server.core;

/**
 * A watcher did not take its events as fast as they came and its bounded buffer filled up. It is
 * ended rather than fed unbounded memory; it resumes after the last event it received.
 *
 * @param lastSequence the sequence of the last event delivered, 0 if none
 * @param lastRevision the revision of the last event delivered (WatchExecution), 0 if none
 */
public final class WatcherTooSlowException extends RuntimeException {

    private final long lastSequence;
    private final long lastRevision;

    public WatcherTooSlowException(int bufferSize, long lastSequence, long lastRevision) {
        super("the watcher fell more than " + bufferSize + " events behind and was ended; "
                + (lastSequence == 0 ? "no event was delivered, start again"
                : "resume with after_sequence=" + lastSequence
                        + (lastRevision > 0 ? " (WatchExecution: after_revision=" + lastRevision + ")" : "")));
        this.lastSequence = lastSequence;
        this.lastRevision = lastRevision;
    }

    public long lastSequence() {
        return this.lastSequence;
    }

    public long lastRevision() {
        return this.lastRevision;
    }
}
