package dev.runplane.server.core;

import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.WatcherTooSlowException;
import java.util.UUID;
import reactor.core.publisher.Flux;

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
}
