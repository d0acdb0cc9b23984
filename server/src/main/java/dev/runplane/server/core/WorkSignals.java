package dev.runplane.server.core;

import java.time.Duration;
import java.util.Collection;
import reactor.core.publisher.Mono;

/**
 * Wake-ups for waiting pollers: "work may have been queued". A signal is only a hint to look at the
 * queue again, never the data, so a lost one costs at most the poller's fallback re-check.
 * Fed in-process by the stores (this replica queued work: one signal per pipeline per commit, with
 * the number of executions) and by the event hub for other replicas' changes (one signal per
 * pipeline per read of the log).
 * <p>
 * Pollers are grouped by the pipelines they poll; a signal of n executions wakes, per matching
 * group, as many waiters as it takes for their batch sizes to cover n (not all of them, which made
 * every Run cost a claim per idle worker), and a poller that claimed a full batch passes the signal
 * on to the next waiter of its group ({@link #pass}).
 */
public interface WorkSignals {

    /** A counter of the group's signals; read it BEFORE looking at the queue. */
    long generation(Collection<String> pipelines);

    /**
     * {@code count} executions of this pipeline may have been queued (by one commit); null when the
     * pipeline is not known, which wakes one waiter of every group.
     */
    void signal(String pipeline, int count);

    /** One execution of this pipeline may have been queued; null when the pipeline is not known. */
    default void signal(String pipeline) {
        signal(pipeline, 1);
    }

    /** Whether pollers of this group are waiting now (their last look at the queue found it empty). */
    boolean waiting(Collection<String> pipelines);

    /** Wakes one more waiter of this group (the caller found work: there may be more). */
    void pass(Collection<String> pipelines);

    /**
     * Completes when this waiter is woken or the group's generation is already past {@code seen}, or
     * after {@code atMost}, whichever comes first. Never fails.
     *
     * @param batchSize how many executions the waiter claims at most when woken
     */
    Mono<Void> awaitAfter(Collection<String> pipelines, int batchSize, long seen, Duration atMost);
}
