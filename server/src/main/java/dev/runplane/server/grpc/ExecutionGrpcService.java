package dev.runplane.server.grpc;

import dev.runplane.server.core.ExecutionWatch;
import dev.runplane.server.core.Executions;
import dev.runplane.server.core.Limits;
import dev.runplane.server.core.Queues;
import dev.runplane.server.grpc.auth.AuthInterceptor;
import dev.runplane.server.grpc.auth.Callers;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CancelResponse;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.GetExecutionResponse;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.ListExecutionEventsResponse;
import dev.runplane.v1.ListQueuesRequest;
import dev.runplane.v1.ListQueuesResponse;
import dev.runplane.v1.ListWorkersRequest;
import dev.runplane.v1.ListWorkersResponse;
import dev.runplane.v1.RerunRequest;
import dev.runplane.v1.RerunResponse;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunBatchResponse;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResponse;
import dev.runplane.v1.RunResult;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.SearchResponse;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.UUID;
import reactor.core.publisher.Mono;

/** ExecutionService over gRPC: validates, calls {@link Executions}, maps the answer. */
public final class ExecutionGrpcService extends ExecutionServiceGrpc.ExecutionServiceImplBase {

    private final Executions executions;
    private final RunRequestValidator runValidator;
    private final SearchRequestValidator searchValidator;
    private final ExecutionRequestValidator executionValidator;
    private final WatchRequestValidator watchValidator;
    private final QueueRequestValidator queueValidator = new QueueRequestValidator();
    private final ExecutionWatch watch;
    private final Queues queues;
    private final WatchResponses watchResponses = new WatchResponses();

    public ExecutionGrpcService(Executions executions, Limits limits, ExecutionWatch watch, Queues queues) {
        this.executions = executions;
        this.queues = queues;
        this.runValidator = new RunRequestValidator(limits);
        this.searchValidator = new SearchRequestValidator(limits);
        this.executionValidator = new ExecutionRequestValidator(limits);
        this.watchValidator = new WatchRequestValidator(limits);
        this.watch = watch;
    }

    /**
     * GetExecution's answer, with its steps and its queue position (counted when asked, issue 19):
     * the one path of it, which AwaitExecution answers through too (branch await).
     */
    private Mono<Execution> answer(UUID id) {
        return executions.get(id).flatMap(queues::positioned).map(ProtoMapper::toProto);
    }

    @Override
    public void run(RunRequest request, StreamObserver<RunResponse> observer) {
        String actor = Callers.current(); // the Context is not visible on Reactor's threads
        boolean reduce = WithoutRead.applies(AuthInterceptor.API_KEY.get());
        GrpcReactor.unary(Mono.fromCallable(() -> runValidator.validate(request, actor))
                .flatMap(executions::run)
                .map(ProtoMapper::toProto)
                .map(e -> RunResponse.newBuilder().setExecution(reduce ? WithoutRead.run(e, request) : e).build()),
                observer);
    }

    /** Each Run as Run alone would take it; the valid ones share the store's group commit. */
    @Override
    public void runBatch(RunBatchRequest request, StreamObserver<RunBatchResponse> observer) {
        String actor = Callers.current();
        boolean reduce = WithoutRead.applies(AuthInterceptor.API_KEY.get());
        GrpcReactor.unary(Mono.defer(() -> {
            runValidator.validateBatch(request);
            return BatchItems.answerEach(request.getRunsList(), run -> runValidator.validate(run, actor),
                    executions::runAll,
                    (run, e) -> RunResult.newBuilder()
                            .setExecution(reduce ? WithoutRead.run(ProtoMapper.toProto(e), run) : ProtoMapper.toProto(e))
                            .build(),
                    error -> RunResult.newBuilder().setError(error).build());
        }).map(results -> RunBatchResponse.newBuilder().addAllResults(results).build()), observer);
    }

    @Override
    public void getExecution(GetExecutionRequest request, StreamObserver<GetExecutionResponse> observer) {
        GrpcReactor.unary(Mono.fromCallable(() -> executionValidator.get(request))
                .flatMap(this::answer)
                .map(e -> GetExecutionResponse.newBuilder().setExecution(e).build()), observer);
    }

    @Override
    public void cancel(CancelRequest request, StreamObserver<CancelResponse> observer) {
        String actor = Callers.current();
        boolean reduce = WithoutRead.applies(AuthInterceptor.API_KEY.get());
        GrpcReactor.unary(Mono.fromCallable(() -> executionValidator.cancel(request))
                .flatMap(id -> executions.cancel(id, actor, request.getReason()))
                .map(ProtoMapper::toProto)
                .map(e -> CancelResponse.newBuilder().setExecution(reduce ? WithoutRead.state(e) : e).build()), observer);
    }

    @Override
    public void search(SearchRequest request, StreamObserver<SearchResponse> observer) {
        GrpcReactor.unary(Mono.fromCallable(() -> searchValidator.validate(request))
                .flatMap(executions::search)
                .map(page -> {
                    Instant now = Instant.now();
                    SearchResponse.Builder response = SearchResponse.newBuilder();
                    page.executions().forEach(e -> response.addExecutions(ProtoMapper.toProto(e, now)));
                    if (page.nextPageToken() != null) {
                        response.setNextPageToken(page.nextPageToken());
                    }
                    if (page.totalSize() != null) {
                        response.setTotalSize(page.totalSize());
                    }
                    return response.build();
                }), observer);
    }

    @Override
    public void rerun(RerunRequest request, StreamObserver<RerunResponse> observer) {
        String actor = Callers.current();
        boolean reduce = WithoutRead.applies(AuthInterceptor.API_KEY.get());
        GrpcReactor.unary(Mono.fromCallable(() -> executionValidator.rerun(request))
                .flatMap(rerun -> executions.rerun(rerun, actor))
                .map(ProtoMapper::toProto)
                .map(e -> RerunResponse.newBuilder().setExecution(reduce ? WithoutRead.rerun(e, request) : e).build()),
                observer);
    }

    @Override
    public void listExecutionEvents(ListExecutionEventsRequest request,
                                    StreamObserver<ListExecutionEventsResponse> observer) {
        GrpcReactor.unary(Mono.fromCallable(() -> executionValidator.events(request))
                .flatMap(page -> executions.events(page.id(), page.pageSize(), page.pageToken()))
                .map(page -> {
                    ListExecutionEventsResponse.Builder response = ListExecutionEventsResponse.newBuilder();
                    page.events().forEach(event -> response.addEvents(ProtoMapper.toProto(event)));
                    if (page.nextPageToken() != null) {
                        response.setNextPageToken(page.nextPageToken());
                    }
                    return response.build();
                }), observer);
    }

    @Override
    public void watchExecution(WatchExecutionRequest request, StreamObserver<WatchExecutionResponse> observer) {
        GrpcReactor.serverStream(Mono.fromCallable(() -> watchValidator.watch(request))
                .flatMapMany(valid -> watch.followExecution(valid.id(), valid.afterRevision(), valid.heartbeatInterval()))
                .map(watchResponses::execution), observer);
    }

    @Override
    public void watchExecutions(WatchExecutionsRequest request, StreamObserver<WatchExecutionsResponse> observer) {
        GrpcReactor.serverStream(Mono.fromCallable(() -> watchValidator.executions(request))
                .flatMapMany(watch::followExecutions)
                .map(watchResponses::executions), observer);
    }

    @Override
    public void listQueues(ListQueuesRequest request, StreamObserver<ListQueuesResponse> observer) {
        GrpcReactor.unary(Mono.fromCallable(() -> queueValidator.queues(request))
                .flatMap(queues::queues)
                .map(found -> ListQueuesResponse.newBuilder()
                        .addAllQueues(found.stream().map(ProtoMapper::toProto).toList()).build()), observer);
    }

    @Override
    public void listWorkers(ListWorkersRequest request, StreamObserver<ListWorkersResponse> observer) {
        GrpcReactor.unary(Mono.fromCallable(() -> queueValidator.workers(request))
                .flatMap(queues::workers)
                .map(found -> ListWorkersResponse.newBuilder()
                        .addAllWorkers(found.stream().map(ProtoMapper::toProto).toList()).build()), observer);
    }
}
