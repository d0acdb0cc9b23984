package dev.runplane.server.core;

import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * Wake-ups for waiting pollers: "work may have been queued". A signal is only a hint to look at the
 * queue again, never the data, so a lost one costs at most the caller's fallback re-check.
 * Fed in-process (this replica queued work) and by a listener for other replicas' changes.
 */
public interface WorkSignals {

    /** A counter that grows with every signal; read it BEFORE looking at the queue. */
    long generation();

    /** Work may have been queued. */
    void signal();

    /**
     * Completes as soon as the generation is past {@code seen} (at once if it already is), or after
     * {@code atMost}, whichever comes first. Never fails.
     */
    Mono<Void> awaitAfter(long seen, Duration atMost);
}
