package dev.runplane.server.core.error;

import java.util.Map;

/** The caller did not prove who it is: no key, or a malformed, unknown, expired or revoked one. */
public final class AuthenticationException extends RunplaneException {

    /** @param reason an UPPER_SNAKE reason, e.g. API_KEY_REVOKED */
    public AuthenticationException(String reason, String message) {
        super(Kind.AUTHENTICATION, reason, Map.of(), message, null);
    }
}
