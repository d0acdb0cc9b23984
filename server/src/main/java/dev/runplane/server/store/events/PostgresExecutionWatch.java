package dev.runplane.server.store.events;

import dev.runplane.server.core.ExecutionWatch;
import dev.runplane.server.core.WatchFilter;
import dev.runplane.server.core.WatchMessage;
import dev.runplane.server.core.error.InvalidArgumentException;
import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.WatchInterruptedException;
import dev.runplane.server.core.error.WatcherTooSlowException;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Watch streams = history from the log (through the request pool) + live events from the local
 * {@link EventHub}. The watcher joins the hub BEFORE the history or the snapshot is read, so nothing
 * falls between the two; what both deliver is dropped by position or revision, so nothing arrives
 * twice. Heartbeats ({@link Heartbeats}) join each stream in its order; resume points come from
 * what was really sent ({@link ResumePoint}).
 */
public final class PostgresExecutionWatch implements ExecutionWatch {

    /** At most this many pool connections serve watchers' history reads; the rest stay for requests. */
    private static final int HISTORY_READS = 4;

    /** A WatchExecutions snapshot sends at most this many executions (the most recently created). */
    public static final int SNAPSHOT_CAP = 10_000;

    /**
     * How long a client may take to take every snapshot row. The rows stream as the client takes
     * them, so one that stops reading would hold a snapshot read and its connection (PostgreSQL
     * then waits on the socket, and its statement timeout cannot be counted on to end that): it is
     * ended with RESOURCE_EXHAUSTED (WATCHER_TOO_SLOW) instead.
     */
    public static final Duration SNAPSHOT_TIME_LIMIT = Duration.ofSeconds(60);

    private final EventHub hub;
    private final EventLog log;
    private final ExecutionSnapshots snapshots;
    private final int snapshotCap;
    private final Duration snapshotTimeLimit;

    /**
     * @param pool        the request pool (history reads)
     * @param customPlans the connections that Search uses (snapshots)
     */
    public PostgresExecutionWatch(EventHub hub, ConnectionFactory pool, ConnectionFactory customPlans) {
        this(hub, pool, customPlans, SNAPSHOT_CAP, SNAPSHOT_TIME_LIMIT);
    }

    /**
     * @param snapshotCap       how many executions a snapshot sends at most (tests lower it)
     * @param snapshotTimeLimit how long a client may take to take them (tests lower it)
     */
    PostgresExecutionWatch(EventHub hub, ConnectionFactory pool, ConnectionFactory customPlans, int snapshotCap,
                           Duration snapshotTimeLimit) {
        this.hub = hub;
        this.log = new EventLog(pool, HISTORY_READS);
        this.snapshots = new ExecutionSnapshots(customPlans);
        this.snapshotCap = snapshotCap;
        this.snapshotTimeLimit = snapshotTimeLimit;
    }

    @Override
    public Flux<WatchMessage> followExecution(UUID id, long afterRevision, Duration heartbeatInterval) {
        return Flux.defer(() -> {
            HubWatcher watcher = hub.join(id, WatchFilter.ALL);
            AtomicLong lastRevision = new AtomicLong(afterRevision);
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
            Flux<WatchMessage> changes = history.concatWith(live)
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
                    .doOnNext(e -> lastRevision.set(e.event().revision()))
                    .map(e -> (WatchMessage) new WatchMessage.Change(e.event()))
                    .takeUntil(m -> ((WatchMessage.Change) m).event().toStatus().isTerminal())
                    .onErrorResume(AlreadyEnded.class, e -> Flux.empty());
            // What the client holds: the last event that went downstream, not the last one read.
            AtomicLong sentRevision = new AtomicLong(afterRevision);
            AtomicLong sentSequence = new AtomicLong();
            return Heartbeats.every(heartbeatInterval, changes, m -> true,
                            () -> new WatchMessage.Heartbeat(Instant.now(), 0, sentRevision.get()), hub.delivery())
                    .doOnNext(m -> {
                        if (m instanceof WatchMessage.Change change) {
                            sentRevision.set(change.event().revision());
                            sentSequence.set(change.event().sequence());
                        }
                    })
                    .onErrorMap(e -> ended(e, watcher, sentSequence.get(), sentRevision.get()))
                    .doFinally(signal -> hub.leave(watcher));
        });
    }

    @Override
    public Flux<WatchMessage> followExecutions(FilteredWatch request) {
        return Flux.defer(() -> {
            WatchFilter filter = request.filter();
            HubWatcher watcher = hub.join(null, filter);
            long after = request.afterSequence();
            ResumePoint resume;
            Flux<Outgoing> items;
            if (request.snapshot()) {
                resume = new ResumePoint(watcher, null, false);
                items = new SnapshotJoin(hub, watcher, snapshotCap, snapshotTimeLimit).items(snapshots, filter);
            } else if (after == 0) {
                // "From now" starts after the last event the hub had delivered: a stream ended before any
                // event of its own still has a resume point, that event's sequence (-1, the start of
                // the log, when the hub has delivered nothing since it started on an empty log).
                resume = new ResumePoint(watcher, watcher.start, true);
                items = watcher.events(hub.delivery()).map(Outgoing::queued);
            } else {
                Mono<EventPosition> from = after == FROM_START ? Mono.just(ResumePoint.BEFORE_ALL)
                        : log.positionOf(after).switchIfEmpty(Mono.error(() -> InvalidArgumentException.of(
                                "after_sequence", "is not the sequence of a stored event")));
                // Until its place in the log is looked up, the client stands at the sequence it sent.
                resume = new ResumePoint(watcher, after == FROM_START ? ResumePoint.BEFORE_ALL
                        : new EventPosition(0, after), false);
                items = from.flatMapMany(p -> {
                    resume.startAt(p);
                    return log.range(p, watcher.start)
                            .filter(e -> filter.accepts(e.event()))
                            .map(Outgoing::replayed)
                            .concatWith(Mono.just(Outgoing.LIVE))
                            .concatWith(watcher.events(hub.delivery())
                                    .map(e -> e.position().isAfter(p) ? Outgoing.queued(e) : Outgoing.leftOut(e)));
                });
            }
            return Heartbeats.every(request.heartbeatInterval(), items, Outgoing::sent,
                            () -> Outgoing.message(new WatchMessage.Heartbeat(Instant.now(), resume.sequence(), 0)),
                            hub.delivery())
                    .doOnNext(resume::passed)
                    .filter(Outgoing::sent)
                    .map(Outgoing::message)
                    .onErrorMap(e -> ended(e, watcher, resume.sequence(), 0))
                    .doFinally(signal -> hub.leave(watcher));
        });
    }

    /** The client-facing reason a live stream ended, with where to resume. */
    private static Throwable ended(Throwable e, HubWatcher watcher, long lastSequence, long lastRevision) {
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
