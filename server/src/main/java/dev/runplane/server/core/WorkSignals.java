package dev.runplane.server.core;

import java.time.Duration;
import java.util.Collection;
import reactor.core.publisher.Mono;

/**
 * Wake-ups for waiting pollers: "work may have been queued". A signal is only a hint to look at the
 * queue again, never the data, so a lost one costs at most the poller's fallback re-check.
 * Fed in-process (this replica queued work) and by a listener for other replicas' changes; the
 * event hub can feed it later (it knows each event's pipeline).
 * <p>
 * Pollers are grouped by the pipelines they poll; a signal wakes ONE waiter per matching group (not
 * all of them, which made every Run cost a claim per idle worker), and a poller that claimed work
 * passes the signal on to the next waiter of its group ({@link #pass}).
 */
public interface WorkSignals {

    /** A counter of the group's signals; read it BEFORE looking at the queue. */
    long generation(Collection<String> pipelines);

    /** Work of this pipeline may have been queued; null when the pipeline is not known. */
    void signal(String pipeline);

    /** Wakes one more waiter of this group (the caller found work: there may be more). */
    void pass(Collection<String> pipelines);

    /**
     * Completes when this waiter is woken or the group's generation is already past {@code seen}, or
     * after {@code atMost}, whichever comes first. Never fails.
     */
    Mono<Void> awaitAfter(Collection<String> pipelines, long seen, Duration atMost);
}
