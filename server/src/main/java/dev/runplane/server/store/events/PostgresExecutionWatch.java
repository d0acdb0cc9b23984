package dev.runplane.server.store.events;

import dev.runplane.server.core.Event;
import dev.runplane.server.core.ExecutionWatch;
import dev.runplane.server.core.WatchFilter;
import dev.runplane.server.core.error.InvalidArgumentException;
import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.WatchInterruptedException;
import dev.runplane.server.core.error.WatcherTooSlowException;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Watch streams = history from the log (through the request pool) + live events from the local
 * {@link EventHub}. The watcher joins the hub BEFORE the history is read, so nothing falls between
 * the two; what both deliver is dropped by position or revision, so nothing arrives twice.
 */
public final class PostgresExecutionWatch implements ExecutionWatch {

    /** At most this many pool connections serve watchers' history reads; the rest stay for requests. */
    private static final int HISTORY_READS = 4;

    private final EventHub hub;
    private final EventLog log;
    private final ExecutionAwaits awaits;

    public PostgresExecutionWatch(EventHub hub, ConnectionFactory pool) {
        this.hub = hub;
        this.log = new EventLog(pool, HISTORY_READS);
        this.awaits = new ExecutionAwaits(hub, log);
    }

    @Override
    public Flux<Event> watchExecution(UUID id, long afterRevision) {
        return Flux.defer(() -> {
            HubWatcher watcher = hub.join(id, WatchFilter.ALL);
            AtomicLong lastRevision = new AtomicLong(afterRevision);
            AtomicLong lastSequence = new AtomicLong();
            Flux<LoggedEvent> history = log.latest(id)
                    .switchIfEmpty(Mono.error(() -> NotFoundException.execution(id)))
                    .flatMapMany(latest -> {
                        if (afterRevision == 0) {
                            return Flux.just(latest);
                        }
                        if (latest.event().revision() <= afterRevision && latest.event().toStatus().isTerminal()) {
                            return Flux.error(AlreadyEnded.INSTANCE); // the client has seen the end already
                        }
                        return log.afterRevision(id, afterRevision);
                    });
            Flux<LoggedEvent> live = watcher.events(hub.delivery());
            return history.concatWith(live)
                    // Revision order, each once: drop what was seen, and fill a gap from the log (a
                    // later revision can sort before an earlier one when batches lock rows in turn).
                    .concatMap(e -> {
                        long revision = e.event().revision();
                        long last = lastRevision.get();
                        if (last == 0 || revision == last + 1) {
                            return Flux.just(e);
                        }
                        if (revision <= last) {
                            return Flux.empty();
                        }
                        return log.afterRevision(id, last).takeWhile(x -> x.event().revision() <= revision);
                    }, 0)
                    .filter(e -> e.event().revision() > lastRevision.get() || lastRevision.get() == 0)
                    .doOnNext(e -> {
                        lastRevision.set(e.event().revision());
                        lastSequence.set(e.event().sequence());
                    })
                    .map(LoggedEvent::event)
                    .takeUntil(e -> e.toStatus().isTerminal())
                    .onErrorResume(AlreadyEnded.class, e -> Flux.empty())
                    .onErrorMap(e -> ended(e, watcher, lastSequence.get(), lastRevision.get()))
                    .doFinally(signal -> hub.leave(watcher));
        });
    }

    @Override
    public Flux<Event> watchExecutions(WatchFilter filter, long afterSequence) {
        return Flux.defer(() -> {
            HubWatcher watcher = hub.join(null, filter);
            // "From now" starts after the last event the hub had delivered: a stream ended before any
            // event of its own still has a resume point, that event's sequence (none only when the
            // hub has delivered nothing since it started).
            AtomicLong lastSequence = new AtomicLong(afterSequence != 0 ? afterSequence : watcher.start.sequence());
            Mono<EventPosition> from = afterSequence == 0 ? Mono.just(watcher.start)
                    : log.positionOf(afterSequence).switchIfEmpty(Mono.error(() -> InvalidArgumentException.of(
                            "after_sequence", "is not the sequence of a stored event")));
            return from.flatMapMany(p -> log.range(p, watcher.start)
                            .filter(e -> filter.matches(e.event()))
                            .concatWith(watcher.events(hub.delivery()).filter(e -> e.position().isAfter(p))))
                    .doOnNext(e -> lastSequence.set(e.event().sequence()))
                    .map(LoggedEvent::event)
                    .onErrorMap(e -> ended(e, watcher, lastSequence.get(), 0))
                    .doFinally(signal -> hub.leave(watcher));
        });
    }

    @Override
    public <T> Mono<T> awaitEnd(UUID id, Mono<T> read, Predicate<T> ended, Duration timeout) {
        return awaits.await(id, read, ended, timeout);
    }

    /** The client-facing reason a live stream ended, with where to resume. */
    static Throwable ended(Throwable e, HubWatcher watcher, long lastSequence, long lastRevision) {
        if (e instanceof HubWatcher.Overflow) {
            return new WatcherTooSlowException(watcher.capacity, lastSequence, lastRevision);
        }
        if (e instanceof HubWatcher.HubClosed) {
            return new WatchInterruptedException(WatchInterruptedException.Reason.SERVER_STOPPING, lastSequence,
                    lastRevision);
        }
        if (e instanceof HubWatcher.DatabaseLost) {
            return new WatchInterruptedException(WatchInterruptedException.Reason.DATABASE_UNAVAILABLE, lastSequence,
                    lastRevision);
        }
        return e;
    }

    /** The watched execution had ended at or before the client's resume revision: nothing more will come. */
    private static final class AlreadyEnded extends RuntimeException {
        static final AlreadyEnded INSTANCE = new AlreadyEnded();

        private AlreadyEnded() {
            super("already ended", null, false, false);
        }
    }
}
