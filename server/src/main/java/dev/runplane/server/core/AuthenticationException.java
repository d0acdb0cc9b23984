package dev.runplane.server.core;

/** The caller did not prove who it is: no key, or a malformed, unknown, expired or revoked one. */
public final class AuthenticationException extends RuntimeException {

    private final String reason;

    public AuthenticationException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** An UPPER_SNAKE reason for ErrorInfo, e.g. API_KEY_REVOKED. */
    public String reason() {
        return this.reason;
    }
}
