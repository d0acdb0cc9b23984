package dev.runplane.server.core;

/** The database cannot be reached right now; the caller may retry. */
public final class ServiceUnavailableException extends RuntimeException {

    public ServiceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
