package dev.runplane.server.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import dev.runplane.server.core.error.FieldViolation;
import dev.runplane.server.core.error.RunplaneException;
import dev.runplane.server.core.error.RunplaneException.Kind;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become gRPC statuses, with google.rpc details that every language
 * can read. Anything it does not know is logged here and reaches the client as INTERNAL with no
 * internals: never UNKNOWN, never a stack trace.
 */
public final class ErrorMapper {

    /** The ErrorInfo domain of every error Runplane raises. */
    public static final String DOMAIN = "runplane.dev";

    private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);

    /** After a lost race (CONTENTION): soon, the competitor is done. */
    private static final Duration RETRY_SOON =
            Duration.newBuilder().setNanos(100_000_000).build();
    /** While the database is away (or a watch was ended by it or by a stop): a second. */
    private static final Duration RETRY_LATER =
            Duration.newBuilder().setSeconds(1).build();

    private ErrorMapper() {
    }

    public static StatusRuntimeException toStatus(Throwable error) {
        if (error instanceof RunplaneException refusal) {
            return domain(refusal);
        }
        return other(error);
    }

    /**
     * The code of each kind of domain error, and how long a client should wait before it retries
     * (RetryInfo; null: no hint). A switch expression without a default: a new {@link Kind} does not
     * compile until it is answered here. docs/design.md ("Errors") lists the same table.
     */
    static Answer answer(Kind kind) {
        return switch (kind) {
            case INVALID_ARGUMENT -> new Answer(Code.INVALID_ARGUMENT, null);
            case NOT_FOUND -> new Answer(Code.NOT_FOUND, null);
            case TRANSITION_REFUSED -> new Answer(Code.FAILED_PRECONDITION, null);
            case REQUEST_ID_CONFLICT -> new Answer(Code.ALREADY_EXISTS, null);
            case CONTENTION -> new Answer(Code.ABORTED, RETRY_SOON); // a lost race: the next try likely wins
            case LEASE_LOST -> new Answer(Code.ABORTED, null); // the worker drops the attempt: no retry
            case SERVICE_UNAVAILABLE, WATCH_INTERRUPTED -> new Answer(Code.UNAVAILABLE, RETRY_LATER);
            case AUTHENTICATION -> new Answer(Code.UNAUTHENTICATED, null);
            case PERMISSION_DENIED -> new Answer(Code.PERMISSION_DENIED, null);
            case RESOURCE_EXHAUSTED, WATCHER_TOO_SLOW -> new Answer(Code.RESOURCE_EXHAUSTED, null);
        };
    }

    /** A gRPC code and an optional retry hint. */
    record Answer(Code code, Duration retryDelay) {
    }

    /**
     * The details every language reads, in one order for the whole family: BadRequest (the refused
     * fields), ErrorInfo (reason and metadata), ResourceInfo, RetryInfo; each only if it applies.
     */
    private static StatusRuntimeException domain(RunplaneException error) {
        Answer answer = answer(error.kind());
        List<Any> details = new ArrayList<>(4);
        if (!error.violations().isEmpty()) {
            details.add(Any.pack(badRequest(error.violations())));
        }
        details.add(Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason(error.reason())
                .putAllMetadata(error.metadata()).build()));
        error.resource().ifPresent(resource -> details.add(Any.pack(ResourceInfo.newBuilder()
                .setResourceType(resource.type()).setResourceName(resource.name())
                .setDescription(resource.description()).build())));
        if (answer.retryDelay() != null) {
            details.add(Any.pack(RetryInfo.newBuilder().setRetryDelay(answer.retryDelay()).build()));
        }
        return build(answer.code(), error.getMessage(), details);
    }

    /**
     * What is not a domain error: a gRPC status raised on purpose passes through (with its details
     * and trailers); anything else is a bug or a failure nobody translated, logged here. (Database
     * failures are translated into the family by the store, by SQLSTATE: store/DatabaseErrors.)
     */
    private static StatusRuntimeException other(Throwable error) {
        if (error instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (error instanceof StatusException se) {
            return new StatusRuntimeException(se.getStatus(), se.getTrailers());
        }
        log.error("Unexpected failure, answered INTERNAL", error);
        return Status.INTERNAL.withDescription("internal error; the server log has the details").asRuntimeException();
    }

    /**
     * A request that is not the message its method takes (it does not parse): there is no field to
     * name, so an ErrorInfo (reason MALFORMED_REQUEST, metadata {@code method}) says what happened.
     */
    public static StatusRuntimeException malformedRequest(String method, String problem) {
        return build(Code.INVALID_ARGUMENT, "the request is not a valid message for " + method + ": " + problem,
                List.of(Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("MALFORMED_REQUEST")
                        .putMetadata("method", method).build())));
    }

    private static BadRequest badRequest(List<FieldViolation> violations) {
        BadRequest.Builder badRequest = BadRequest.newBuilder();
        for (FieldViolation violation : violations) {
            badRequest.addFieldViolations(BadRequest.FieldViolation.newBuilder()
                    .setField(violation.field()).setDescription(violation.description()));
        }
        return badRequest.build();
    }

    private static StatusRuntimeException build(Code code, String message, List<Any> details) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(code.getNumber()).setMessage(message).addAllDetails(details).build());
    }
}
