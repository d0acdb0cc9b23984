package dev.runplane.server.api;

import dev.runplane.server.core.Executions;
import dev.runplane.server.core.Limits;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CancelResponse;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.GetExecutionResponse;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResponse;
import io.grpc.stub.StreamObserver;
import java.util.UUID;
import reactor.core.publisher.Mono;

/** ExecutionService over gRPC: validates, calls {@link Executions}, maps the answer. */
public final class ExecutionGrpcService extends ExecutionServiceGrpc.ExecutionServiceImplBase {

    private final Executions executions;
    private final RunRequestValidator runValidator;

    public ExecutionGrpcService(Executions executions, Limits limits) {
        this.executions = executions;
        this.runValidator = new RunRequestValidator(limits);
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
}
