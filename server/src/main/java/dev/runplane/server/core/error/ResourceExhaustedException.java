package dev.runplane.server.core.error;

import java.util.Map;

/** A configured limit is reached (open streams per key, say); the caller may retry later. */
public final class ResourceExhaustedException extends RunplaneException {

    /** @param reason an UPPER_SNAKE reason, e.g. TOO_MANY_STREAMS or STATEMENT_TIMEOUT */
    public ResourceExhaustedException(String reason, String message) {
        super(Kind.RESOURCE_EXHAUSTED, reason, Map.of(), message, null);
    }
}
