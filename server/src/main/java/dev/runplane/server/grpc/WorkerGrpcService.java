package dev.runplane.server.grpc;

import dev.runplane.server.core.Limits;
import dev.runplane.server.core.Workers;
import dev.runplane.server.core.auth.ApiKey;
import dev.runplane.server.grpc.auth.AuthInterceptor;
import dev.runplane.v1.CompleteBatchRequest;
import dev.runplane.v1.CompleteBatchResponse;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.CompleteResponse;
import dev.runplane.v1.CompleteResult;
import dev.runplane.v1.FailRequest;
import dev.runplane.v1.FailResponse;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.HeartbeatResponse;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.PollResponse;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;

/** WorkerService over gRPC: validates, calls {@link Workers}, maps the answer. */
public final class WorkerGrpcService extends WorkerServiceGrpc.WorkerServiceImplBase {

    /** A Poll answers this long before the caller's deadline, so that an empty answer still arrives. */
    private static final Duration DEADLINE_MARGIN = Duration.ofMillis(200);

    private final Workers workers;
    private final WorkerRequestValidator validator;

    public WorkerGrpcService(Workers workers, Limits limits) {
        this.workers = workers;
        this.validator = new WorkerRequestValidator(limits);
    }

    @Override
    public void poll(PollRequest request, StreamObserver<PollResponse> observer) {
        Deadline deadline = Context.current().getDeadline(); // not visible on Reactor threads: read it here
        String keyId = keyId();
        GrpcReactor.unary(Mono.fromCallable(() -> validator.poll(request))
                .flatMap(claim -> workers.poll(claim, maxWait(request, deadline), keyId))
                .map(assignments -> PollResponse.newBuilder()
                        .addAllAssignments(assignments.stream().map(ProtoMapper::toProto).toList()).build()),
                observer);
    }

    private Duration maxWait(PollRequest request, Deadline deadline) {
        Duration wait = validator.maxWait(request);
        if (deadline != null) {
            Duration left = Duration.ofMillis(deadline.timeRemaining(TimeUnit.MILLISECONDS)).minus(DEADLINE_MARGIN);
            if (left.compareTo(wait) < 0) {
                wait = left.isNegative() ? Duration.ZERO : left;
            }
        }
        return wait;
    }

    /** The id of the current call's key ("" without keys), read on the gRPC thread: for ListWorkers. */
    private static String keyId() {
        ApiKey key = AuthInterceptor.API_KEY.get();
        return key == null ? "" : key.id();
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> observer) {
        String keyId = keyId();
        GrpcReactor.unary(Mono.fromCallable(() -> validator.heartbeat(request))
                .flatMap(report -> workers.heartbeat(report, keyId))
                .map(outcome -> HeartbeatResponse.newBuilder().setLease(ProtoMapper.toProto(outcome.lease()))
                        .setCancelRequested(outcome.cancelRequested()).build()), observer);
    }

    @Override
    public void complete(CompleteRequest request, StreamObserver<CompleteResponse> observer) {
        boolean reduce = WithoutRead.applies(AuthInterceptor.API_KEY.get()); // not visible on Reactor threads
        String keyId = keyId();
        GrpcReactor.unary(Mono.fromCallable(() -> validator.complete(request))
                .flatMap(report -> workers.complete(report, keyId))
                .map(ProtoMapper::toProto)
                .map(e -> CompleteResponse.newBuilder().setExecution(reduce ? WithoutRead.complete(e, request) : e)
                        .build()), observer);
    }

    /**
     * Each completion goes through Complete's validation and store path; the valid ones are handed
     * to the store together, so that they share its group commit. Answered in request order, each
     * with its own outcome.
     */
    @Override
    public void completeBatch(CompleteBatchRequest request, StreamObserver<CompleteBatchResponse> observer) {
        boolean reduce = WithoutRead.applies(AuthInterceptor.API_KEY.get());
        String keyId = keyId();
        GrpcReactor.unary(Mono.defer(() -> {
            validator.completeBatch(request);
            return BatchItems.answerEach(request.getCompletionsList(), validator::complete,
                    reports -> workers.completeAll(reports, keyId),
                    (completion, e) -> CompleteResult.newBuilder().setExecution(reduce
                            ? WithoutRead.complete(ProtoMapper.toProto(e), completion) : ProtoMapper.toProto(e)).build(),
                    error -> CompleteResult.newBuilder().setError(error).build());
        }).map(results -> CompleteBatchResponse.newBuilder().addAllResults(results).build()), observer);
    }

    @Override
    public void fail(FailRequest request, StreamObserver<FailResponse> observer) {
        boolean reduce = WithoutRead.applies(AuthInterceptor.API_KEY.get());
        String keyId = keyId();
        GrpcReactor.unary(Mono.fromCallable(() -> validator.fail(request))
                .flatMap(report -> workers.fail(report, keyId))
                .map(ProtoMapper::toProto)
                .map(e -> FailResponse.newBuilder().setExecution(reduce ? WithoutRead.fail(e, request) : e).build()),
                observer);
    }
}
