package dev.runplane.server.core;

/** The caller's key is valid but lacks a scope or a pipeline that the call needs. */
public final class PermissionDeniedException extends RuntimeException {

    private final String reason;
    private final String missing;

    public PermissionDeniedException(String reason, String missing, String message) {
        super(message);
        this.reason = reason;
        this.missing = missing;
    }

    /** MISSING_SCOPE or PIPELINE_NOT_ALLOWED. */
    public String reason() {
        return this.reason;
    }

    /** The scope or pipeline that is missing. */
    public String missing() {
        return this.missing;
    }
}
