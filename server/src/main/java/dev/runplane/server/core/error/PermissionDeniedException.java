package dev.runplane.server.core.error;

/** The caller's key is valid but lacks a scope or a pipeline that the call needs. */
public final class PermissionDeniedException extends RunplaneException {

    /**
     * @param reason  MISSING_SCOPE or PIPELINE_NOT_ALLOWED
     * @param missing the scope or pipeline that is missing (metadata {@code missing})
     */
    public PermissionDeniedException(String reason, String missing, String message) {
        super(Kind.PERMISSION_DENIED, reason, entries("missing", missing), message, null);
    }
}
