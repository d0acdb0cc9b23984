package dev.runplane.server.core;

/** A configured limit is reached (open streams per key, say); the caller may retry later. */
public final class ResourceExhaustedException extends RuntimeException {

    private final String reason;

    public ResourceExhaustedException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public String reason() {
        return this.reason;
    }
}
