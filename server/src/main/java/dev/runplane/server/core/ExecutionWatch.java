package dev.runplane.server.core;

import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.WatcherTooSlowException;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Predicate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Live streams of committed changes. Every stream delivers each matching event once and in order;
 * one that falls too far behind its consumer ends with {@link WatcherTooSlowException}.
 */
public interface ExecutionWatch {

    /**
     * One execution: with {@code afterRevision} 0, its current state first (the latest event),
     * otherwise every event after that revision; then every later change in revision order. Completes
     * after the terminal event. Fails with {@link NotFoundException} for an unknown id.
     */
    Flux<Event> watchExecution(UUID id, long afterRevision);

    /**
     * Every execution that matches the filter: from now with {@code afterSequence} 0, otherwise every
     * event that committed after the event with that sequence. Never completes by itself.
     */
    Flux<Event> watchExecutions(WatchFilter filter, long afterSequence);

    /**
     * Waits for one execution to end, woken by its terminal event (no polling; any replica's commit).
     * It joins the live events of {@code id} BEFORE it reads the current state with {@code read}, so a
     * terminal commit cannot fall between the two. It answers {@code read}'s value: at once if
     * {@code ended} holds for it, else read again once the terminal event arrives, or when
     * {@code timeout} (counted from the call) has passed. Every {@code read} passes the watchers'
     * read gate, so any number of waits holds a fixed number of connections. Cancelling the Mono
     * leaves the hub and stops the timer at once; a replica that stops, or a database outage, ends
     * the wait with {@link dev.runplane.server.core.error.WatchInterruptedException}.
     */
    <T> Mono<T> awaitEnd(UUID id, Mono<T> read, Predicate<T> ended, Duration timeout);
}
