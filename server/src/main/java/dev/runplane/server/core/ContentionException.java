package dev.runplane.server.core;

/** A write lost too many races in a row; nothing was changed and the caller may retry. */
public final class ContentionException extends RuntimeException {

    public ContentionException(String message) {
        super(message);
    }
}
