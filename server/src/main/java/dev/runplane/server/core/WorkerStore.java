package dev.runplane.server.core;

import dev.runplane.server.core.error.LeaseLostException;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * The worker side of the store. Every status change follows {@link Transitions} and commits with its
 * event row in one statement; every call that carries a lease changes nothing when the lease is stale
 * ({@link LeaseLostException}). A statement that queues work again (a retry, the reaper's requeues)
 * tells this replica's {@link WorkSignals} after its commit, as {@link ExecutionStore} does.
 */
public interface WorkerStore {

    /** Claims the best queued executions of the pipelines (priority, then oldest, then id): CLAIM. */
    Mono<List<Assignment>> claim(ClaimRequest request);

    /** Extends the lease, records message and steps; says whether Cancel was asked. */
    Mono<HeartbeatOutcome> heartbeat(WorkerReport report);

    /** COMPLETE with outputs. */
    default Mono<Execution> complete(WorkerReport report) {
        return Mono.defer(() -> completeAll(List.of(report)).get(0));
    }

    /**
     * COMPLETE for several reports that arrive together: each gets its own answer, in order. They
     * are submitted at once (when called, not when subscribed), so that they can share statements.
     */
    List<Mono<Execution>> completeAll(List<WorkerReport> reports);

    /** CONFIRM_CANCEL when cancelling, else RETRY when retryable with attempts left, else FAIL. */
    Mono<Execution> fail(WorkerReport report, WorkerSettings settings);

    /**
     * One pass of the reaper over at most {@code limit} executions: expired leases (RETRY or FAIL),
     * max runtime passed (TIME_OUT), cancels past the grace period (CONFIRM_CANCEL). Safe on every
     * replica at once. Answers how many executions went back to the queue.
     */
    Mono<ReapResult> reap(WorkerSettings settings, int limit);

    /** What one reaper pass did. */
    record ReapResult(int changed, int requeued) {
    }
}
