package dev.runplane.server.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import dev.runplane.server.core.Action;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.error.AuthenticationException;
import dev.runplane.server.core.error.ContentionException;
import dev.runplane.server.core.error.FieldViolation;
import dev.runplane.server.core.error.InvalidArgumentException;
import dev.runplane.server.core.error.LeaseLostException;
import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.PermissionDeniedException;
import dev.runplane.server.core.error.RequestIdConflictException;
import dev.runplane.server.core.error.ResourceExhaustedException;
import dev.runplane.server.core.error.RunplaneException;
import dev.runplane.server.core.error.RunplaneException.Kind;
import dev.runplane.server.core.error.ServiceUnavailableException;
import dev.runplane.server.core.error.TransitionRefusedException;
import dev.runplane.server.core.error.WatchInterruptedException;
import dev.runplane.server.core.error.WatcherTooSlowException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * What a client receives for every domain error, written out detail by detail: the code, the
 * message, and the google.rpc details in their order. The expected statuses are built here by hand,
 * independently of ErrorMapper, so any change visible to a client fails this test.
 */
class ErrorMapperTest {

    private static final String DOMAIN = "runplane.dev";

    /** docs/design.md's table ("Errors"), written out again independently of ErrorMapper. */
    private static final Map<Kind, Status.Code> DOCUMENTED = Map.ofEntries(
            Map.entry(Kind.INVALID_ARGUMENT, Status.Code.INVALID_ARGUMENT),
            Map.entry(Kind.NOT_FOUND, Status.Code.NOT_FOUND),
            Map.entry(Kind.TRANSITION_REFUSED, Status.Code.FAILED_PRECONDITION),
            Map.entry(Kind.REQUEST_ID_CONFLICT, Status.Code.ALREADY_EXISTS),
            Map.entry(Kind.CONTENTION, Status.Code.ABORTED),
            Map.entry(Kind.LEASE_LOST, Status.Code.ABORTED),
            Map.entry(Kind.SERVICE_UNAVAILABLE, Status.Code.UNAVAILABLE),
            Map.entry(Kind.WATCH_INTERRUPTED, Status.Code.UNAVAILABLE),
            Map.entry(Kind.AUTHENTICATION, Status.Code.UNAUTHENTICATED),
            Map.entry(Kind.PERMISSION_DENIED, Status.Code.PERMISSION_DENIED),
            Map.entry(Kind.RESOURCE_EXHAUSTED, Status.Code.RESOURCE_EXHAUSTED),
            Map.entry(Kind.WATCHER_TOO_SLOW, Status.Code.RESOURCE_EXHAUSTED));

    private static final UUID ID = UUID.fromString("0190a4b2-7c3d-7e5f-8a9b-0c1d2e3f4a5b");

    static Stream<Arguments> everyDomainError() {
        return Stream.of(
                Arguments.of("one invalid field", InvalidArgumentException.of("pipeline", "must not be empty"),
                        status(Code.INVALID_ARGUMENT, "invalid request: pipeline: must not be empty",
                                Any.pack(BadRequest.newBuilder().addFieldViolations(BadRequest.FieldViolation.newBuilder()
                                        .setField("pipeline").setDescription("must not be empty")).build()),
                                info("INVALID_FIELD"))),
                Arguments.of("two invalid fields", new InvalidArgumentException(List.of(
                                new FieldViolation("labels", "at most 64"), new FieldViolation("priority", "too high"))),
                        status(Code.INVALID_ARGUMENT, "invalid request: labels: at most 64; priority: too high",
                                Any.pack(BadRequest.newBuilder()
                                        .addFieldViolations(BadRequest.FieldViolation.newBuilder()
                                                .setField("labels").setDescription("at most 64"))
                                        .addFieldViolations(BadRequest.FieldViolation.newBuilder()
                                                .setField("priority").setDescription("too high")).build()),
                                info("INVALID_FIELD"))),
                Arguments.of("execution not found", NotFoundException.execution(ID),
                        status(Code.NOT_FOUND, "execution " + ID + " not found", info("EXECUTION_NOT_FOUND"),
                                Any.pack(ResourceInfo.newBuilder().setResourceType("execution")
                                        .setResourceName(ID.toString()).build()))),
                Arguments.of("api key not found", new NotFoundException("api_key", "k1"),
                        status(Code.NOT_FOUND, "api_key k1 not found", info("API_KEY_NOT_FOUND"),
                                Any.pack(ResourceInfo.newBuilder().setResourceType("api_key")
                                        .setResourceName("k1").build()))),
                Arguments.of("transition refused", new TransitionRefusedException(ExecutionState.SUCCEEDED, Action.CANCEL),
                        status(Code.FAILED_PRECONDITION, "cannot CANCEL an execution that is SUCCEEDED",
                                Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("TRANSITION_REFUSED")
                                        .putMetadata("action", "CANCEL").putMetadata("status", "SUCCEEDED").build()))),
                Arguments.of("creation refused", new TransitionRefusedException(null, Action.CLAIM),
                        status(Code.FAILED_PRECONDITION, "CLAIM cannot create an execution",
                                Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("TRANSITION_REFUSED")
                                        .putMetadata("action", "CLAIM").build()))),
                Arguments.of("request id reused", new RequestIdConflictException("r-1", ID),
                        status(Code.ALREADY_EXISTS, "request_id 'r-1' was already used by execution " + ID
                                        + " with a different request; use a new request_id for a new request",
                                Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("REQUEST_ID_REUSED")
                                        .putMetadata("request_id", "r-1").putMetadata("execution_id", ID.toString()).build()),
                                Any.pack(ResourceInfo.newBuilder().setResourceType("execution")
                                        .setResourceName(ID.toString()).setDescription("holds request_id r-1").build()))),
                Arguments.of("contention", new ContentionException("the dedup_key changed hands too often; retry the Run"),
                        status(Code.ABORTED, "the dedup_key changed hands too often; retry the Run", info("CONTENTION"),
                                retry(Duration.newBuilder().setNanos(100_000_000).build()))),
                Arguments.of("lease lost", new LeaseLostException(ID),
                        status(Code.ABORTED, "the lease on execution " + ID
                                        + " is no longer held (expired, or a newer attempt holds it)",
                                Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("LEASE_LOST")
                                        .putMetadata("execution_id", ID.toString()).build()))),
                Arguments.of("database unavailable", new ServiceUnavailableException("the database is unavailable; retry later",
                                new IOException("connection reset")),
                        status(Code.UNAVAILABLE, "the database is unavailable; retry later", info("DATABASE_UNAVAILABLE"),
                                retry(Duration.newBuilder().setSeconds(1).build()))),
                Arguments.of("watch stopped by shutdown", new WatchInterruptedException(
                                WatchInterruptedException.Reason.SERVER_STOPPING, 42, 7),
                        status(Code.UNAVAILABLE, "the server is shutting down; resume on another replica with "
                                        + "after_sequence=42 (WatchExecution: after_revision=7)",
                                Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("SERVER_STOPPING")
                                        .putMetadata("after_sequence", "42").putMetadata("after_revision", "7").build()),
                                retry(Duration.newBuilder().setSeconds(1).build()))),
                Arguments.of("watch stopped by outage, nothing delivered", new WatchInterruptedException(
                                WatchInterruptedException.Reason.DATABASE_UNAVAILABLE, 0, 0),
                        status(Code.UNAVAILABLE, "the database is unavailable; resume when it is back",
                                info("DATABASE_UNAVAILABLE"), retry(Duration.newBuilder().setSeconds(1).build()))),
                Arguments.of("unauthenticated", new AuthenticationException("API_KEY_REVOKED", "API key k1 is revoked"),
                        status(Code.UNAUTHENTICATED, "API key k1 is revoked", info("API_KEY_REVOKED"))),
                Arguments.of("permission denied", new PermissionDeniedException("MISSING_SCOPE", "run", "needs scope run"),
                        status(Code.PERMISSION_DENIED, "needs scope run",
                                Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("MISSING_SCOPE")
                                        .putMetadata("missing", "run").build()))),
                Arguments.of("limit reached", new ResourceExhaustedException("TOO_MANY_STREAMS", "at most 2 streams"),
                        status(Code.RESOURCE_EXHAUSTED, "at most 2 streams", info("TOO_MANY_STREAMS"))),
                Arguments.of("watcher too slow", new WatcherTooSlowException(256, 42, 7),
                        status(Code.RESOURCE_EXHAUSTED, "the watcher fell more than 256 events behind and was ended; "
                                        + "resume with after_sequence=42 (WatchExecution: after_revision=7)",
                                Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("WATCHER_TOO_SLOW")
                                        .putMetadata("after_sequence", "42").putMetadata("after_revision", "7").build()))),
                Arguments.of("watcher too slow, nothing delivered", new WatcherTooSlowException(256, 0, 0),
                        status(Code.RESOURCE_EXHAUSTED, "the watcher fell more than 256 events behind and was ended; "
                                        + "no event was delivered, start again",
                                Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("WATCHER_TOO_SLOW")
                                        .putMetadata("after_sequence", "0").build()))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyDomainError")
    void everyDomainErrorReachesTheClientAsDocumented(String name, RuntimeException error,
                                                      com.google.rpc.Status expected) {
        StatusRuntimeException mapped = ErrorMapper.toStatus(error);

        assertEquals(expected, StatusProto.fromThrowable(mapped));
        assertEquals(expected.getCode(), mapped.getStatus().getCode().value());
        assertEquals(expected.getMessage(), mapped.getStatus().getDescription());
        // The same bytes, so even the order of details and of metadata entries is unchanged.
        assertEquals(expected.toByteString(), StatusProto.fromThrowable(mapped).toByteString());
    }

    @Test
    void everyKindMapsToItsDocumentedCode() {
        assertEquals(EnumSet.allOf(Kind.class), DOCUMENTED.keySet(), "the table names every kind");
        for (Kind kind : Kind.values()) {
            assertEquals(DOCUMENTED.get(kind).value(), ErrorMapper.answer(kind).code().getNumber(), kind::name);
        }
    }

    @Test
    void everyMemberOfTheFamilyHasItsOwnKindAndIsPinnedAbove() {
        Set<Kind> pinned = everyDomainError().map(arguments -> ((RunplaneException) arguments.get()[1]).kind())
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(Kind.class)));
        assertEquals(EnumSet.allOf(Kind.class), pinned, "everyDomainError has an example of every kind");

        Set<Kind> ofMembers = everyDomainError().map(arguments -> arguments.get()[1])
                .collect(Collectors.groupingBy(Object::getClass,
                        Collectors.mapping(error -> ((RunplaneException) error).kind(), Collectors.toSet())))
                .values().stream().map(kinds -> {
                    assertEquals(1, kinds.size(), "one kind per member: " + kinds);
                    return kinds.iterator().next();
                }).collect(Collectors.toSet());
        assertEquals(RunplaneException.class.getPermittedSubclasses().length, ofMembers.size(),
                "every member of the sealed family is pinned, each with a kind of its own");
    }

    @Test
    void aStatusRuntimeExceptionPassesThroughUnchanged() {
        StatusRuntimeException given = Status.CANCELLED.withDescription("client went away").asRuntimeException();

        assertSame(given, ErrorMapper.toStatus(given));
    }

    @Test
    void aStatusExceptionKeepsItsStatusAndTrailers() {
        Metadata trailers = new Metadata();
        Metadata.Key<String> key = Metadata.Key.of("x-why", Metadata.ASCII_STRING_MARSHALLER);
        trailers.put(key, "because");

        StatusRuntimeException mapped = ErrorMapper.toStatus(
                Status.DEADLINE_EXCEEDED.withDescription("too late").asException(trailers));

        assertEquals(Status.Code.DEADLINE_EXCEEDED, mapped.getStatus().getCode());
        assertEquals("too late", mapped.getStatus().getDescription());
        assertEquals("because", mapped.getTrailers().get(key));
    }

    @Test
    void anythingElseIsInternalWithoutInternals() {
        StatusRuntimeException mapped = ErrorMapper.toStatus(new IllegalStateException("secret table name"));

        assertEquals(Status.Code.INTERNAL, mapped.getStatus().getCode());
        assertEquals("internal error; the server log has the details", mapped.getStatus().getDescription());
        assertEquals(0, StatusProto.fromThrowable(mapped).getDetailsCount());
        assertNull(mapped.getStatus().getCause());
    }

    private static com.google.rpc.Status status(Code code, String message, Any... details) {
        return com.google.rpc.Status.newBuilder().setCode(code.getNumber()).setMessage(message)
                .addAllDetails(List.of(details)).build();
    }

    private static Any info(String reason) {
        return Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason(reason).build());
    }

    private static Any retry(Duration delay) {
        return Any.pack(RetryInfo.newBuilder().setRetryDelay(delay).build());
    }
}
