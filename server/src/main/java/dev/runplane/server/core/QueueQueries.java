package dev.runplane.server.core;

import java.time.Duration;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Read-only queries over the queues and the recorded workers (ListQueues, ListWorkers, queue_position). */
public interface QueueQueries {

    /**
     * One entry per pipeline with queued or leased executions or a worker seen within
     * {@code workerWindow}, by pipeline name; only {@code pipelines} when not empty.
     */
    Flux<QueueSummary> queues(List<String> pipelines, Duration workerWindow);

    /**
     * 1 + how many claimable executions of its pipeline the claim order puts before this QUEUED
     * one, as of the values given (its pipeline, priority, queue time, id); 0 while its
     * scheduled_for is in the future.
     */
    Mono<Integer> position(Execution queued);

    /**
     * The workers seen within {@code window}, by id. With {@code pipelines}, only workers that poll one
     * of them, each with only those pipelines and its leased executions of those.
     */
    Flux<WorkerSummary> workers(List<String> pipelines, Duration window);
}
