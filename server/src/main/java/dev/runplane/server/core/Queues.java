package dev.runplane.server.core;

import java.util.List;
import reactor.core.publisher.Mono;

/** The use cases of queue and worker visibility: ListQueues, ListWorkers, and an execution's queue position. */
public final class Queues {

    private final QueueQueries queries;
    private final WorkerWindows windows;

    public Queues(QueueQueries queries, WorkerWindows windows) {
        this.queries = queries;
        this.windows = windows;
    }

    /** Every queue (or those of {@code pipelines}), by pipeline name. */
    public Mono<List<QueueSummary>> queues(List<String> pipelines) {
        return this.queries.queues(pipelines, this.windows.queueWindow()).collectList();
    }

    /** The workers seen within the list window (or those polling {@code pipelines}), by id. */
    public Mono<List<WorkerSummary>> workers(List<String> pipelines) {
        return this.queries.workers(pipelines, this.windows.listWindow()).collectList();
    }

    /** The execution with its queue position: counted for a QUEUED one, 0 for every other status. */
    public Mono<PositionedExecution> positioned(Execution execution) {
        if (execution.status() != ExecutionState.QUEUED) {
            return Mono.just(new PositionedExecution(execution, 0));
        }
        return this.queries.position(execution).map(position -> new PositionedExecution(execution, position));
    }
}
