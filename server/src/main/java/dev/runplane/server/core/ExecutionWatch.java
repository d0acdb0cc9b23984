package dev.runplane.server.core;

import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.WatcherTooSlowException;
import java.time.Duration;
import java.util.UUID;
import reactor.core.publisher.Flux;

/**
 * Live streams of committed changes. Every stream delivers each matching event once and in order;
 * one that falls too far behind its consumer ends with {@link WatcherTooSlowException}.
 */
public interface ExecutionWatch {

    /** {@code afterSequence} -1: replay from the oldest retained event (0 is "from now"). */
    long FROM_START = -1;

    /**
     * What a WatchExecutions stream asks for.
     *
     * @param afterSequence     0 from now, {@link #FROM_START}, or the sequence of a stored event
     * @param snapshot          first every matching execution as it is now, then the changes (afterSequence 0)
     * @param heartbeatInterval a heartbeat when nothing was sent for this long; null for none
     */
    record FilteredWatch(WatchFilter filter, long afterSequence, boolean snapshot, Duration heartbeatInterval) {
    }

    /**
     * One execution: with {@code afterRevision} 0, its current state first (the latest event),
     * otherwise every event after that revision; then every later change in revision order, and a
     * heartbeat whenever nothing was sent for {@code heartbeatInterval} (null: none). Completes
     * after the terminal event. Fails with {@link NotFoundException} for an unknown id.
     */
    Flux<WatchMessage> followExecution(UUID id, long afterRevision, Duration heartbeatInterval);

    /**
     * Every execution that matches the filter: optionally a snapshot and its end, then from now
     * (afterSequence 0), from the oldest retained event ({@link #FROM_START}), or every event that
     * committed after the event with that sequence; heartbeats on a quiet stream. Never completes by
     * itself.
     */
    Flux<WatchMessage> followExecutions(FilteredWatch watch);

    /** {@link #followExecution} without heartbeats: the changes alone. */
    default Flux<Event> watchExecution(UUID id, long afterRevision) {
        return followExecution(id, afterRevision, null).ofType(WatchMessage.Change.class).map(WatchMessage.Change::event);
    }

    /** {@link #followExecutions} without snapshot and heartbeats: the changes alone. */
    default Flux<Event> watchExecutions(WatchFilter filter, long afterSequence) {
        return followExecutions(new FilteredWatch(filter, afterSequence, false, null))
                .ofType(WatchMessage.Change.class).map(WatchMessage.Change::event);
    }
}
