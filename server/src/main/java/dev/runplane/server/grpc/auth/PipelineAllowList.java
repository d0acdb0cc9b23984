package dev.runplane.server.grpc.auth;

import dev.runplane.server.core.ExecutionQueries;
import dev.runplane.server.core.auth.ApiKey;
import dev.runplane.server.core.error.PermissionDeniedException;
import dev.runplane.server.grpc.RequestChecks;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ListQueuesRequest;
import dev.runplane.v1.ListWorkersRequest;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.MethodDescriptor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * What a pipeline-restricted API key may touch (docs/security.md, "Pipeline allow-list"), by
 * method: the pipelines a request names (Run, RunBatch, Poll); the executions it names by id or by
 * lease, through their pipelines (looked up: an execution never changes pipeline); and the
 * pipelines of a Search or WatchExecutions filter, or of ListQueues and ListWorkers, which a request
 * without any is narrowed to. A method missing from the table is closed to restricted keys.
 */
final class PipelineAllowList {

    /** Checks one request for one key: the request to pass on (perhaps narrowed), or an error. */
    private interface Rule {
        Mono<Object> check(ApiKey key, Object request);
    }

    private final ExecutionQueries queries;
    private final Map<String, Rule> rules = new HashMap<>();

    PipelineAllowList(ExecutionQueries queries) {
        this.queries = Objects.requireNonNull(queries, "queries must not be null");
        named(ExecutionServiceGrpc.getRunMethod(), m -> List.of(m.getPipeline()));
        named(ExecutionServiceGrpc.getRunBatchMethod(), m -> m.getRunsList().stream().map(RunRequest::getPipeline).toList());
        named(WorkerServiceGrpc.getPollMethod(), PollRequest::getPipelinesList);
        byId(ExecutionServiceGrpc.getGetExecutionMethod(), m -> List.of(m.getId()));
        byId(ExecutionServiceGrpc.getCancelMethod(), m -> List.of(m.getId()));
        byId(ExecutionServiceGrpc.getRerunMethod(), m -> List.of(m.getId()));
        byId(ExecutionServiceGrpc.getListExecutionEventsMethod(), m -> List.of(m.getId()));
        byId(ExecutionServiceGrpc.getWatchExecutionMethod(), m -> List.of(m.getId()));
        byId(WorkerServiceGrpc.getHeartbeatMethod(), m -> List.of(m.getLease().getExecutionId()));
        byId(WorkerServiceGrpc.getCompleteMethod(), m -> List.of(m.getLease().getExecutionId()));
        byId(WorkerServiceGrpc.getFailMethod(), m -> List.of(m.getLease().getExecutionId()));
        byId(WorkerServiceGrpc.getCompleteBatchMethod(),
                m -> m.getCompletionsList().stream().map(c -> c.getLease().getExecutionId()).toList());
        filtered(ExecutionServiceGrpc.getSearchMethod(), SearchRequest::getFilter,
                (m, filter) -> m.toBuilder().setFilter(filter).build());
        filtered(ExecutionServiceGrpc.getWatchExecutionsMethod(), WatchExecutionsRequest::getFilter,
                (m, filter) -> m.toBuilder().setFilter(filter).build());
        narrowed(ExecutionServiceGrpc.getListQueuesMethod(), ListQueuesRequest::getPipelinesList,
                (m, pipelines) -> m.toBuilder().addAllPipelines(pipelines).build());
        narrowed(ExecutionServiceGrpc.getListWorkersMethod(), ListWorkersRequest::getPipelinesList,
                (m, pipelines) -> m.toBuilder().addAllPipelines(pipelines).build());
    }

    /** Whether restricted keys may call the method at all. */
    boolean covers(String fullMethodName) {
        return rules.containsKey(fullMethodName);
    }

    /** The request to pass on for this key, or a PIPELINE_NOT_ALLOWED error. Only for covered methods. */
    Mono<Object> check(ApiKey key, String fullMethodName, Object request) {
        return rules.get(fullMethodName).check(key, request);
    }

    private <Q> void named(MethodDescriptor<Q, ?> method, Function<Q, List<String>> pipelinesOf) {
        rules.put(method.getFullMethodName(), (key, request) -> Mono.fromCallable(() -> {
            @SuppressWarnings("unchecked") Q typed = (Q) request;
            pipelinesOf.apply(typed).forEach(pipeline -> requireAllowed(key, pipeline, "pipeline '" + pipeline + "'"));
            return request;
        }));
    }

    /**
     * Ids that do not parse, or name no execution, pass: the service answers them (INVALID_ARGUMENT,
     * NOT_FOUND) exactly as for any key. Ids parse as the services parse them, so none slips past.
     */
    private <Q> void byId(MethodDescriptor<Q, ?> method, Function<Q, List<String>> idsOf) {
        rules.put(method.getFullMethodName(), (key, request) -> {
            @SuppressWarnings("unchecked") Q typed = (Q) request;
            List<UUID> ids = idsOf.apply(typed).stream().map(id -> new RequestChecks().optionalId("id", id))
                    .filter(Objects::nonNull).distinct().toList();
            if (ids.isEmpty()) {
                return Mono.just(request);
            }
            return queries.pipelines(ids).map(pipelines -> {
                pipelines.forEach((id, pipeline) -> requireAllowed(key, pipeline,
                        "execution " + id + " of pipeline '" + pipeline + "'"));
                return request;
            });
        });
    }

    private <Q> void filtered(MethodDescriptor<Q, ?> method, Function<Q, ExecutionFilter> filterOf,
                              BiFunction<Q, ExecutionFilter, Q> withFilter) {
        narrowed(method, m -> filterOf.apply(m).getPipelinesList(),
                (m, pipelines) -> withFilter.apply(m, filterOf.apply(m).toBuilder().addAllPipelines(pipelines).build()));
    }

    /**
     * A request's list of pipelines: an empty one (every pipeline) is narrowed to the key's, passed
     * to {@code withPipelines}; a named one must be all allowed.
     */
    private <Q> void narrowed(MethodDescriptor<Q, ?> method, Function<Q, List<String>> pipelinesOf,
                              BiFunction<Q, List<String>, Q> withPipelines) {
        rules.put(method.getFullMethodName(), (key, request) -> Mono.fromCallable(() -> {
            @SuppressWarnings("unchecked") Q typed = (Q) request;
            List<String> pipelines = pipelinesOf.apply(typed);
            if (pipelines.isEmpty()) {
                return withPipelines.apply(typed, key.pipelines());
            }
            pipelines.forEach(pipeline -> requireAllowed(key, pipeline, "pipeline '" + pipeline + "'"));
            return request;
        }));
    }

    private static void requireAllowed(ApiKey key, String pipeline, String what) {
        if (!key.allowsPipeline(pipeline)) {
            throw new PermissionDeniedException("PIPELINE_NOT_ALLOWED", pipeline, "API key " + key.id()
                    + " may not use " + what + " (allowed: " + String.join(", ", key.pipelines()) + ")");
        }
    }
}
