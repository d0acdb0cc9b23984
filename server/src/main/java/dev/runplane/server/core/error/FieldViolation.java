package dev.runplane.server.core.error;

/** One bad field of a request: its path (as in the .proto, e.g. {@code labels}) and what is wrong. */
public record FieldViolation(String field, String description) {
}
