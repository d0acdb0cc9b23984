package dev.runplane.server.store.events;

import dev.runplane.server.core.Event;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.RepeatedFailureLog;
import dev.runplane.server.core.WatchFilter;
import dev.runplane.server.store.ExecutionEventsSql;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Row;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Follows the event log for one server replica and fans the events out to its local watchers.
 *
 * <p>It holds ONE dedicated connection, outside the request pool (application_name
 * {@value #APPLICATION_NAME}), however many watchers there are. A NOTIFY on {@code runplane_events}
 * is only a wake-up: the hub then reads the log after its position, ordered by (xid, sequence) and
 * only below the oldest running transaction, so a late commit is never skipped and a lost
 * notification loses nothing. A timer reads too, which both covers an engine without LISTEN and
 * notices a hung server (every read has a timeout). When the connection dies the hub reconnects with
 * backoff and reads what it missed.
 */
public final class EventHub implements AutoCloseable {

    /** How the hub's connection shows in pg_stat_activity. */
    public static final String APPLICATION_NAME = "runplane-event-hub";
    static final String CHANNEL = "runplane_events";

    private static final Logger log = LoggerFactory.getLogger(EventHub.class);
    private static final int PAGE = ExecutionEventsSql.HUB_PAGE;
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration FALLBACK_POLL = Duration.ofMillis(100);

    private final PostgresqlConnectionFactory connections;
    private final Duration pollInterval;
    private final int watcherCapacity;
    private final String listenSql;
    private final Scheduler delivery = Schedulers.parallel();
    /** While the database is down every reconnect fails: logged once, then once a minute. */
    private final RepeatedFailureLog connectionFailures = new RepeatedFailureLog(log, "Event hub connection");

    // Guarded by "this": the position and the watchers change together, so that a watcher that joins
    // at position P receives exactly the events after P.
    private EventPosition position;
    // Copy-on-write: a watcher ended while the hub offers it an event leaves at once, on the same thread.
    private final Map<UUID, Set<HubWatcher>> byExecution = new HashMap<>();
    private final Set<HubWatcher> filtered = new CopyOnWriteArraySet<>();
    /** How many watchers are joined: written under "this", read by {@link #wake} without the lock. */
    private volatile int joined;

    private final Sinks.Many<Object> localCommits = Sinks.many().multicast().directBestEffort();
    /** Transactions in which this replica queued work and woke its own pollers (the most recent ones). */
    private final RecentXids queuedHere = new RecentXids(4096);
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong connects = new AtomicLong();
    private volatile boolean listening;
    /** When the last read that found nothing left to deliver began (System.nanoTime); the lag counts from it. */
    private volatile long caughtUpAt = System.nanoTime();
    private Disposable loop;

    /**
     * @param connections     a factory that opens plain connections (not the pool)
     * @param pollInterval    how often the hub reads without a notification (and checks its connection)
     * @param watcherCapacity how many events each watcher may have waiting before it is ended
     */
    public EventHub(PostgresqlConnectionFactory connections, Duration pollInterval, int watcherCapacity) {
        this(connections, pollInterval, watcherCapacity, "LISTEN " + CHANNEL);
    }

    /** @param listenSql the statement that subscribes to notifications (tests pass one the server refuses) */
    EventHub(PostgresqlConnectionFactory connections, Duration pollInterval, int watcherCapacity, String listenSql) {
        this.connections = connections;
        this.pollInterval = pollInterval;
        this.watcherCapacity = watcherCapacity;
        this.listenSql = listenSql;
    }

    /** Takes the current end of the log as the starting position (blocking: start-up only), then follows it. */
    public EventHub start() {
        EventPosition start = Mono.usingWhen(connections.create(),
                c -> Mono.from(c.createStatement(ExecutionEventsSql.HUB_START).execute())
                        .flatMap(r -> Mono.from(r.map((row, meta) -> startPosition(row)))),
                PostgresqlConnection::close)
                .block(Duration.ofSeconds(30));
        synchronized (this) {
            position = start;
        }
        loop = Flux.usingWhen(connections.create(), this::follow, EventHub::closeQuietly)
                .doOnError(e -> {
                    listening = false;
                    connectionFailures.failed(e, "reconnecting");
                })
                // transientErrors: the backoff starts again at 50 ms once a connection has answered LISTEN,
                // so a hub that lost many connections over its life still reconnects at once.
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(50)).maxBackoff(Duration.ofSeconds(2))
                        .transientErrors(true))
                .subscribe(null, e -> log.error("Event hub stopped", e));
        return this;
    }

    /**
     * One connection's life: subscribe to notifications first, LISTEN, then read on every wake-up.
     * Emits once, when LISTEN has answered: the connection works (the reconnect backoff resets).
     */
    private Flux<Boolean> follow(PostgresqlConnection connection) {
        connects.incrementAndGet();
        Flux<Object> notifications = connection.getNotifications().onBackpressureBuffer().map(n -> (Object) n)
                .publish().autoConnect(0); // subscribed before LISTEN: nothing sent in between is dropped
        Mono<Boolean> listen = connection.createStatement(listenSql).execute()
                .flatMap(r -> r.getRowsUpdated()).then(Mono.just(true))
                .timeout(READ_TIMEOUT) // a connection broken mid-request may never answer
                .onErrorResume(EventHub::listenUnsupported, e -> {
                    log.warn("LISTEN is not available ({}); the event hub polls every {}", e.toString(), pollInterval);
                    return Mono.just(false);
                });
        return listen.flatMapMany(ok -> {
            listening = ok;
            connectionFailures.succeeded();
            Flux<Object> wakeUps = Flux.merge(
                    Mono.just("start"), // catch up with what was missed while disconnected
                    notifications,
                    localCommits.asFlux(),
                    // Without LISTEN the timer is the only wake-up, so it ticks faster.
                    Flux.interval(ok ? pollInterval : FALLBACK_POLL).onBackpressureDrop().map(t -> (Object) t));
            return Mono.just(ok).concatWith(wakeUps.onBackpressureLatest().concatMap(w -> catchUp(connection, 0), 1)
                    .then(Mono.empty()));
        });
    }

    /**
     * The log's last event before the start, or (xmin, 0) when there is none
     * ({@link ExecutionEventsSql#HUB_START}).
     */
    private static EventPosition startPosition(Row row) {
        String xid = row.get("xid_text", String.class);
        return xid == null ? EventPosition.of(row.get("xmin", String.class), 0)
                : EventPosition.of(xid, row.get("sequence", Long.class));
    }

    /** An engine without LISTEN answers "feature not supported" or a syntax error; anything else is a failure. */
    private static boolean listenUnsupported(Throwable e) {
        return e instanceof R2dbcException r && r.getSqlState() != null
                && (r.getSqlState().startsWith("0A") || r.getSqlState().startsWith("42"));
    }

    /** Closing a broken connection can fail or never answer: neither may stop the reconnect. */
    private static Mono<Void> closeQuietly(PostgresqlConnection connection) {
        return connection.close().timeout(Duration.ofSeconds(1)).onErrorResume(e -> Mono.empty());
    }

    /** Reads and delivers until the settled part of the log is exhausted; retries soon if a writer is still open. */
    private Mono<Void> catchUp(PostgresqlConnection connection, int retry) {
        EventPosition from;
        synchronized (this) {
            from = position;
        }
        boolean light = joined == 0;
        reads.incrementAndGet();
        long readStart = System.nanoTime(); // caught up, if it is, as of this read's snapshot
        return connection.createStatement(light ? ExecutionEventsSql.HUB_LIGHT_READ : ExecutionEventsSql.HUB_READ)
                .bind(0, from.xidText()).bind(1, from.sequence()).execute()
                .flatMap(r -> r.map((row, meta) -> !Boolean.TRUE.equals(row.get("settled", Boolean.class)) ? PENDING
                        : light ? ReadRow.light(row) : ReadRow.full(EventLog.read(row))))
                .collectList()
                .timeout(READ_TIMEOUT)
                .flatMap(rows -> {
                    List<ReadRow> settled = new ArrayList<>(rows.size());
                    boolean pending = false;
                    for (ReadRow row : rows) {
                        if (row == PENDING) {
                            pending = true;
                        } else {
                            settled.add(row);
                        }
                    }
                    if (!deliver(settled, light)) {
                        return Mono.defer(() -> catchUp(connection, retry)); // again, in full
                    }
                    if (settled.size() < PAGE && !pending) {
                        caughtUpAt = readStart;
                    }
                    if (settled.size() >= PAGE) {
                        return Mono.defer(() -> catchUp(connection, 0));
                    }
                    if (pending && retry < 30) { // an older transaction is still open: look again soon
                        return Mono.delay(Duration.ofMillis(Math.min(50, 1L << Math.min(retry, 6))))
                                .then(Mono.defer(() -> catchUp(connection, retry + 1)));
                    }
                    return Mono.empty();
                });
    }

    private final List<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();

    /**
     * One row of a read: its position, the event (null in a light read) and the pipeline of an
     * execution it queued (null for any other status).
     */
    private record ReadRow(EventPosition position, LoggedEvent logged, String queuedPipeline) {

        static ReadRow full(LoggedEvent logged) {
            Event event = logged.event();
            return new ReadRow(logged.position(), logged,
                    event.toStatus() == ExecutionState.QUEUED && event.execution() != null
                            ? event.execution().pipeline() : null);
        }

        static ReadRow light(Row row) {
            return new ReadRow(EventPosition.of(row.get("xid_text", String.class), row.get("sequence", Long.class)),
                    null, row.get("queued_pipeline", String.class));
        }
    }

    private static final ReadRow PENDING = new ReadRow(new EventPosition(0, 0), null, null);

    /**
     * Moves the position over the rows, offers their events to the watchers and tells the listeners
     * which pipelines got work. False, moving nothing, when the rows of a light read would reach a
     * watcher that joined during the read: they must be read again with their events.
     */
    private synchronized boolean deliver(List<ReadRow> rows, boolean light) {
        if (light && joined > 0) {
            return false;
        }
        Set<String> queued = new LinkedHashSet<>();
        for (ReadRow row : rows) {
            if (!row.position().isAfter(position)) {
                continue;
            }
            position = row.position();
            if (row.queuedPipeline() != null && !queuedHere.contains(row.position().xid())) {
                queued.add(row.queuedPipeline());
            }
            if (row.logged() != null) {
                offer(row.logged());
            }
        }
        if (!queued.isEmpty()) {
            for (Consumer<Set<String>> listener : listeners) {
                listener.accept(queued);
            }
        }
        return true;
    }

    private void offer(LoggedEvent event) {
        Set<HubWatcher> ofExecution = byExecution.get(event.event().executionId());
        if (ofExecution != null) {
            for (HubWatcher watcher : ofExecution) {
                watcher.offer(event);
            }
        }
        for (HubWatcher watcher : filtered) {
            watcher.offer(event);
        }
    }

    /**
     * Calls {@code listener} with the pipelines of the executions each read found queued (in log
     * order, never empty; without those queued by this replica, {@link #queuedHere}), on the hub's
     * thread: it must be quick and must not block (waking waiting polls, say).
     */
    public void onQueued(Consumer<Set<String>> listener) {
        listeners.add(listener);
    }

    /**
     * This replica queued work in transaction {@code xid} and has woken its own pollers: the hub does
     * not tell them again when it reads that transaction's events (a poller woken for work already
     * claimed claims nothing: measured under WorkerBenchmark with 16 workers, 40% of the empty
     * claims). Only the most recent 4,096 such transactions are remembered; an older one is signalled
     * again, which costs a claim, never work.
     */
    public void queuedHere(long xid) {
        queuedHere.add(xid);
    }

    /**
     * This replica committed events: a watcher here gets them now rather than when the NOTIFY comes
     * back (within the notifier's few milliseconds). Without watchers nobody here waits for them (work
     * queued here has woken this replica's pollers already), so the hub reads once per NOTIFY instead
     * of once per commit: several times fewer reads under load.
     */
    public void wake() {
        if (joined > 0) {
            localCommits.tryEmitNext(Boolean.TRUE); // dropped when a read is already pending: it sees them too
        }
    }

    /**
     * Joins a watcher: it receives every event after the hub's current position (its {@code start}).
     *
     * @param executionId one execution, or null for every execution that matches the filter
     */
    synchronized HubWatcher join(UUID executionId, WatchFilter filter) {
        HubWatcher watcher = new HubWatcher(executionId, filter, position, watcherCapacity);
        if (executionId != null) {
            byExecution.computeIfAbsent(executionId, id -> new CopyOnWriteArraySet<>()).add(watcher);
        } else {
            filtered.add(watcher);
        }
        joined++;
        return watcher;
    }

    synchronized void leave(HubWatcher watcher) {
        boolean removed;
        if (watcher.executionId != null) {
            Set<HubWatcher> set = byExecution.get(watcher.executionId);
            removed = set != null && set.remove(watcher);
            if (removed && set.isEmpty()) {
                byExecution.remove(watcher.executionId);
            }
        } else {
            removed = filtered.remove(watcher);
        }
        if (removed) {
            joined--;
        }
    }

    Scheduler delivery() {
        return delivery;
    }

    int watcherCapacity() {
        return watcherCapacity;
    }

    /** How many watchers are joined now (for tests and metrics). */
    public int watchers() {
        return joined;
    }

    /**
     * How far behind the log this hub may be: the time since a read last found every committed event
     * delivered. A healthy hub stays under its poll interval (it reads at least that often); the figure
     * grows while the hub is disconnected, has a backlog, or waits on an older open transaction.
     */
    public Duration lag() {
        return Duration.ofNanos(System.nanoTime() - caughtUpAt);
    }

    /** How many times the hub has opened its connection (1 + reconnects). */
    public long connects() {
        return connects.get();
    }

    /** Whether the current connection is LISTENing (false while disconnected or polling). */
    public boolean listening() {
        return listening;
    }

    @Override
    public synchronized String toString() {
        return "EventHub[position=" + position + ", reads=" + reads + ", connects=" + connects + ", listening="
                + listening + ", watchers=" + watchers() + "]";
    }

    /**
     * Ends every watcher with UNAVAILABLE and its resume point because the database stopped answering
     * (the outage is seen by the server's database check, not by a hub reconnect, which alone ends no
     * stream). The hub keeps following the log and catches up once the database is back.
     */
    public void endWatchersForOutage() {
        endAll(HubWatcher.DatabaseLost::new);
    }

    private void endAll(java.util.function.Supplier<RuntimeException> why) {
        List<HubWatcher> all;
        synchronized (this) {
            all = new ArrayList<>(filtered);
            byExecution.values().forEach(all::addAll);
        }
        all.forEach(w -> w.end(why.get()));
    }

    /** Ends every watcher (they may resume on another replica), then stops following the log. */
    @Override
    public void close() {
        endAll(HubWatcher.HubClosed::new);
        if (loop != null) {
            loop.dispose();
        }
    }
}
