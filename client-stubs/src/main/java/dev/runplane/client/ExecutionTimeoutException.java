package dev.runplane.client;

import dev.runplane.v1.Execution;
import java.time.Duration;

/** An awaited execution had not ended when the timeout passed; it goes on running. */
public final class ExecutionTimeoutException extends RuntimeException {

    private final transient Execution lastSeen;

    ExecutionTimeoutException(String id, Duration timeout, Execution lastSeen) {
        super("execution " + id + " did not end within " + timeout
                + (lastSeen == null ? "" : "; last seen " + lastSeen.getStatus()));
        this.lastSeen = lastSeen;
    }

    /** The last state received, or null if none was. */
    public Execution lastSeen() {
        return lastSeen;
    }
}
