package dev.runplane.server.core.error;

import java.util.Map;

/** The database cannot be reached right now; the caller may retry. */
public final class ServiceUnavailableException extends RunplaneException {

    public ServiceUnavailableException(String message, Throwable cause) {
        super(Kind.SERVICE_UNAVAILABLE, "DATABASE_UNAVAILABLE", Map.of(), message, cause);
    }
}
