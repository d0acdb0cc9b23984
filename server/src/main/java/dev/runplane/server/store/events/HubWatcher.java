package dev.runplane.server.store.events;

import dev.runplane.server.core.WatchFilter;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.util.concurrent.Queues;

/**
 * One local subscriber of the {@link EventHub}: a bounded queue that the hub fills and the stream
 * drains. When the queue is full the watcher is ended (never grown, never silently skipped).
 */
final class HubWatcher {

    /** Ends a watcher's live events; the watch stream turns it into the client-facing error. */
    static final class Overflow extends RuntimeException {
        Overflow() {
            super("watcher buffer full", null, false, false);
        }
    }

    /** Ends a watcher because the hub stops (the server shuts down). */
    static final class HubClosed extends RuntimeException {
        HubClosed() {
            super("event hub closed", null, false, false);
        }
    }

    /** Ends a watcher because the database stopped answering (it resumes once the database is back). */
    static final class DatabaseLost extends RuntimeException {
        DatabaseLost() {
            super("database lost", null, false, false);
        }
    }

    /**
     * How far the hub has taken a filtered watcher: to {@code position}, having handed it
     * {@code handed} events by then (those that it accepted; the others it considered and left out).
     */
    record Offered(EventPosition position, long handed) {
    }

    final UUID executionId;
    final WatchFilter filter;
    final EventPosition start;
    final int capacity;
    private final Sinks.Many<LoggedEvent> queue;
    private final Sinks.One<Void> ended = Sinks.one();
    private volatile boolean closed;
    /** Events handed to the queue: written by the hub's reading thread under the fan-out's lock. */
    private long handed;
    private volatile Offered offered;

    /**
     * @param executionId the one execution watched, or null for a filtered watcher
     * @param start       the hub's position when the watcher joined: it receives exactly the events after it
     */
    HubWatcher(UUID executionId, WatchFilter filter, EventPosition start, int capacity) {
        this.executionId = executionId;
        this.filter = filter;
        this.start = start;
        this.capacity = capacity;
        this.queue = Sinks.many().unicast().onBackpressureBuffer(Queues.<LoggedEvent>get(capacity).get());
        this.offered = new Offered(start, 0);
    }

    /** Called by the hub's single reading thread only. */
    void offer(LoggedEvent event) {
        if (closed || (executionId == null && !filter.accepts(event.event()))) {
            return;
        }
        handed++;
        Sinks.EmitResult result = queue.tryEmitNext(event);
        if (result == Sinks.EmitResult.FAIL_OVERFLOW) {
            end(new Overflow());
        } else if (result.isFailure() && result != Sinks.EmitResult.FAIL_CANCELLED) {
            throw new IllegalStateException("watcher refused an event: " + result);
        }
    }

    /** The hub has offered this watcher every event up to {@code position} (its reading thread, under the lock). */
    void considered(EventPosition position) {
        offered = new Offered(position, handed);
    }

    /** Where the hub has taken this watcher as of {@link #considered}: read from the stream's side. */
    Offered offered() {
        return offered;
    }

    /** The watcher at the hub's current {@code position}, under the fan-out's lock. */
    Offered offeredAt(EventPosition position) {
        return new Offered(position, handed);
    }

    void end(RuntimeException why) {
        closed = true;
        ended.tryEmitError(why);
    }

    /** Never a value: fails when the watcher is ended (overflow, hub closed, database lost), at once if it was. */
    <T> Mono<T> endSignal() {
        return ended.asMono().then(Mono.never());
    }

    /**
     * The live events, handed to {@code scheduler} so that the hub's thread never serializes
     * messages; an end (overflow, hub closed) cuts in at once instead of waiting for the queue to drain.
     */
    Flux<LoggedEvent> events(Scheduler scheduler) {
        return queue.asFlux()
                .publishOn(scheduler, 32)
                .mergeWith(ended.asMono().then(Mono.empty()));
    }
}
