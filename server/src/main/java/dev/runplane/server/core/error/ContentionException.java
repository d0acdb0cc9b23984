package dev.runplane.server.core.error;

import java.util.Map;

/** A write lost too many races in a row; nothing was changed and the caller may retry. */
public final class ContentionException extends RunplaneException {

    public ContentionException(String message) {
        super(Kind.CONTENTION, "CONTENTION", Map.of(), message, null);
    }
}
