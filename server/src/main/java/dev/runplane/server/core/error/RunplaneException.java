package dev.runplane.server.core.error;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every failure that Runplane itself refuses a call with. The family is sealed: each member names
 * its {@link Kind} and says what a client needs to act on it (a reason, metadata, the bad fields or
 * the resource concerned), so an adapter (the gRPC ErrorMapper today) answers the whole family with
 * one exhaustive switch over {@link Kind}, with no knowledge of the members' fields. A new member
 * needs a new Kind, and a new Kind does not compile until every adapter has answered it.
 */
public abstract sealed class RunplaneException extends RuntimeException
        permits AuthenticationException, ContentionException, InvalidArgumentException, LeaseLostException,
        NotFoundException, PermissionDeniedException, RequestIdConflictException, ResourceExhaustedException,
        ServiceUnavailableException, TransitionRefusedException, WatchInterruptedException,
        WatcherTooSlowException {

    /** One per member of the family; docs/design.md ("Errors") lists the gRPC code of each. */
    public enum Kind {
        INVALID_ARGUMENT,
        NOT_FOUND,
        TRANSITION_REFUSED,
        REQUEST_ID_CONFLICT,
        CONTENTION,
        LEASE_LOST,
        SERVICE_UNAVAILABLE,
        WATCH_INTERRUPTED,
        AUTHENTICATION,
        PERMISSION_DENIED,
        RESOURCE_EXHAUSTED,
        WATCHER_TOO_SLOW
    }

    /** The resource an error concerns: its type, its name, and a note about it ("" when none). */
    public record Resource(String type, String name, String description) {
    }

    private final Kind kind;
    private final String reason;
    private final Map<String, String> metadata;

    RunplaneException(Kind kind, String reason, Map<String, String> metadata, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.reason = reason;
        this.metadata = metadata;
    }

    public final Kind kind() {
        return this.kind;
    }

    /** An UPPER_SNAKE reason that a program can branch on (ErrorInfo), e.g. LEASE_LOST or API_KEY_REVOKED. */
    public final String reason() {
        return this.reason;
    }

    /** Facts that go with the reason (ErrorInfo metadata), in a stable order; empty if none. */
    public final Map<String, String> metadata() {
        return this.metadata;
    }

    /** The request fields that were refused; empty except for {@link InvalidArgumentException}. */
    public List<FieldViolation> violations() {
        return List.of();
    }

    /** The resource concerned, if the error is about one. */
    public Optional<Resource> resource() {
        return Optional.empty();
    }

    /**
     * Metadata from key/value pairs, kept in the order given; a pair whose value is null is left out
     * (a fact that does not apply, such as the status of an execution that does not exist yet).
     */
    static Map<String, String> entries(String... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("metadata needs key/value pairs");
        }
        Map<String, String> entries = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (keysAndValues[i + 1] != null) {
                entries.put(keysAndValues[i], keysAndValues[i + 1]);
            }
        }
        return Collections.unmodifiableMap(entries);
    }
}
