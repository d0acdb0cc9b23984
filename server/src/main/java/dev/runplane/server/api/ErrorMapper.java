package dev.runplane.server.api;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import dev.runplane.server.core.AuthenticationException;
import dev.runplane.server.core.ContentionException;
import dev.runplane.server.core.FieldViolation;
import dev.runplane.server.core.InvalidArgumentException;
import dev.runplane.server.core.LeaseLostException;
import dev.runplane.server.core.NotFoundException;
import dev.runplane.server.core.PermissionDeniedException;
import dev.runplane.server.core.RequestIdConflictException;
import dev.runplane.server.core.ResourceExhaustedException;
import dev.runplane.server.core.ServiceUnavailableException;
import dev.runplane.server.core.TransitionRefusedException;
import dev.runplane.server.core.WatchInterruptedException;
import dev.runplane.server.core.WatcherTooSlowException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
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

    private ErrorMapper() {
    }

    public static StatusRuntimeException toStatus(Throwable error) {
        if (error instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (error instanceof StatusException se) {
            return new StatusRuntimeException(se.getStatus(), se.getTrailers());
        }
        if (error instanceof InvalidArgumentException invalid) {
            return invalidArgument(invalid);
        }
        if (error instanceof NotFoundException notFound) {
            return build(Code.NOT_FOUND, notFound.getMessage(),
                    errorInfo(notFound.resourceType().toUpperCase() + "_NOT_FOUND"),
                    Any.pack(ResourceInfo.newBuilder().setResourceType(notFound.resourceType())
                            .setResourceName(notFound.resourceName()).build()));
        }
        if (error instanceof TransitionRefusedException refused) {
            ErrorInfo.Builder info = ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("TRANSITION_REFUSED")
                    .putMetadata("action", refused.action().name());
            if (refused.from() != null) {
                info.putMetadata("status", refused.from().name());
            }
            return build(Code.FAILED_PRECONDITION, refused.getMessage(), Any.pack(info.build()));
        }
        if (error instanceof RequestIdConflictException conflict) {
            return build(Code.ALREADY_EXISTS, conflict.getMessage(),
                    Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("REQUEST_ID_REUSED")
                            .putMetadata("request_id", conflict.requestId())
                            .putMetadata("execution_id", conflict.executionId().toString()).build()),
                    Any.pack(ResourceInfo.newBuilder().setResourceType("execution")
                            .setResourceName(conflict.executionId().toString())
                            .setDescription("holds request_id " + conflict.requestId()).build()));
        }
        if (error instanceof ContentionException contention) {
            return build(Code.ABORTED, contention.getMessage(), errorInfo("CONTENTION"),
                    Any.pack(RetryInfo.newBuilder()
                            .setRetryDelay(com.google.protobuf.Duration.newBuilder().setNanos(100_000_000)).build()));
        }
        if (error instanceof LeaseLostException lost) {
            return build(Code.ABORTED, lost.getMessage(), Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN)
                    .setReason("LEASE_LOST").putMetadata("execution_id", lost.executionId().toString()).build()));
        }
        if (error instanceof ServiceUnavailableException unavailable) {
            return build(Code.UNAVAILABLE, unavailable.getMessage(), errorInfo("DATABASE_UNAVAILABLE"),
                    Any.pack(RetryInfo.newBuilder()
                            .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(1)).build()));
        }
        if (error instanceof WatchInterruptedException interrupted) {
            ErrorInfo.Builder info = ErrorInfo.newBuilder().setDomain(DOMAIN).setReason(interrupted.reason().name());
            if (interrupted.lastSequence() > 0) {
                info.putMetadata("after_sequence", Long.toString(interrupted.lastSequence()));
            }
            if (interrupted.lastRevision() > 0) {
                info.putMetadata("after_revision", Long.toString(interrupted.lastRevision()));
            }
            return build(Code.UNAVAILABLE, interrupted.getMessage(), Any.pack(info.build()),
                    Any.pack(RetryInfo.newBuilder()
                            .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(1)).build()));
        }
        if (error instanceof AuthenticationException unauthenticated) {
            return build(Code.UNAUTHENTICATED, unauthenticated.getMessage(), errorInfo(unauthenticated.reason()));
        }
        if (error instanceof PermissionDeniedException denied) {
            return build(Code.PERMISSION_DENIED, denied.getMessage(), Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN)
                    .setReason(denied.reason()).putMetadata("missing", denied.missing()).build()));
        }
        if (error instanceof ResourceExhaustedException exhausted) {
            return build(Code.RESOURCE_EXHAUSTED, exhausted.getMessage(), errorInfo(exhausted.reason()));
        }
        if (error instanceof WatcherTooSlowException slow) {
            ErrorInfo.Builder info = ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("WATCHER_TOO_SLOW")
                    .putMetadata("after_sequence", Long.toString(slow.lastSequence()));
            if (slow.lastRevision() > 0) {
                info.putMetadata("after_revision", Long.toString(slow.lastRevision()));
            }
            return build(Code.RESOURCE_EXHAUSTED, slow.getMessage(), Any.pack(info.build()));
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
                Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason("MALFORMED_REQUEST")
                        .putMetadata("method", method).build()));
    }

    private static StatusRuntimeException invalidArgument(InvalidArgumentException invalid) {
        BadRequest.Builder badRequest = BadRequest.newBuilder();
        for (FieldViolation violation : invalid.violations()) {
            badRequest.addFieldViolations(BadRequest.FieldViolation.newBuilder()
                    .setField(violation.field()).setDescription(violation.description()));
        }
        return build(Code.INVALID_ARGUMENT, invalid.getMessage(), Any.pack(badRequest.build()),
                errorInfo("INVALID_FIELD"));
    }

    private static Any errorInfo(String reason) {
        return Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason(reason).build());
    }

    private static StatusRuntimeException build(Code code, String message, Any... details) {
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
                .setCode(code.getNumber()).setMessage(message);
        for (Any detail : details) {
            status.addDetails(detail);
        }
        return StatusProto.toStatusRuntimeException(status.build());
    }
}
