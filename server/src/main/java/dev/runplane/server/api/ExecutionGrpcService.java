package dev.runplane.server.api;

import dev.runplane.server.core.ExecutionWatch;
import dev.runplane.server.core.Executions;
import dev.runplane.server.core.Limits;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CancelResponse;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.GetExecutionResponse;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResponse;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.stub.StreamObserver;
import java.util.UUID;
import reactor.core.publisher.Mono;

/** ExecutionService over gRPC: validates, calls {@link Executions}, maps the answer. */
public final class ExecutionGrpcService extends ExecutionServiceGrpc.ExecutionServiceImplBase {

    private final Executions executions;
    private final RunRequestValidator runValidator;
    private final ExecutionWatch watch;
    private final SharedEventProtos eventProtos = new SharedEventProtos();

    public ExecutionGrpcService(Executions executions, Limits limits, ExecutionWatch watch) {
        this.executions = executions;
        this.runValidator = new RunRequestValidator(limits);
        this.watch = watch;
    }

    @Override
    public void run(RunRequest request, StreamObserver<RunResponse> observer) {
        GrpcReactor.unary(Mono.fromCallable(() -> runValidator.validate(request))
                .flatMap(executions::run)
                .map(e -> RunResponse.newBuilder().setExecution(ProtoMapper.toProto(e)).build()), observer);
    }

    @Override
    public void getExecution(GetExecutionRequest request, StreamObserver<GetExecutionResponse> observer) {
        GrpcReactor.unary(Mono.fromCallable(() -> requiredId(request.getId()))
                .flatMap(executions::get)
                .map(e -> GetExecutionResponse.newBuilder().setExecution(ProtoMapper.toProto(e)).build()), observer);
    }

    @Override
    public void cancel(CancelRequest request, StreamObserver<CancelResponse> observer) {
        GrpcReactor.unary(Mono.fromCallable(() -> {
                    RequestChecks checks = new RequestChecks();
                    UUID id = checks.id("id", request.getId());
                    checks.text("reason", request.getReason(), 1024);
                    checks.throwIfInvalid();
                    return id;
                })
                .flatMap(id -> executions.cancel(id, "api", request.getReason()))
                .map(e -> CancelResponse.newBuilder().setExecution(ProtoMapper.toProto(e)).build()), observer);
    }

    private static UUID requiredId(String text) {
        RequestChecks checks = new RequestChecks();
        UUID id = checks.id("id", text);
        checks.throwIfInvalid();
        return id;
    }

    @Override
    public void watchExecution(WatchExecutionRequest request, StreamObserver<WatchExecutionResponse> observer) {
        GrpcReactor.serverStream(Mono.fromCallable(() -> WatchRequests.validate(request))
                .flatMapMany(valid -> watch.watchExecution(valid.id(), valid.afterRevision()))
                .map(e -> WatchExecutionResponse.newBuilder().setEvent(eventProtos.toProto(e)).build()), observer);
    }

    @Override
    public void watchExecutions(WatchExecutionsRequest request, StreamObserver<WatchExecutionsResponse> observer) {
        GrpcReactor.serverStream(Mono.fromCallable(() -> WatchRequests.filter(request))
                .flatMapMany(filter -> watch.watchExecutions(filter, request.getAfterSequence()))
                .map(e -> WatchExecutionsResponse.newBuilder().setEvent(eventProtos.toProto(e)).build()), observer);
    }
}
