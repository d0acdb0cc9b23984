package dev.runplane.server.store.events;

import dev.runplane.server.core.RepeatedFailureLog;
import dev.runplane.server.store.ExecutionEventsSql;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Row;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/**
 * The reading loop of the {@link EventHub}: its one dedicated connection, LISTEN, the wake-ups
 * (notifications, local commits, a timer) and the reads of the log after the fan-out's position,
 * whose rows it hands to the {@link WatcherFanOut}. When the connection dies it reconnects with
 * backoff and reads what it missed.
 */
final class LogFollower {

    // Logged under the hub's name: the messages are the event hub's, as operators know them.
    private static final Logger log = LoggerFactory.getLogger(EventHub.class);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration FALLBACK_POLL = Duration.ofMillis(100);

    private final PostgresqlConnectionFactory connections;
    private final Duration pollInterval;
    private final String listenSql;
    private final WatcherFanOut fanOut;
    /** While the database is down every reconnect fails: logged once, then once a minute. */
    private final RepeatedFailureLog connectionFailures = new RepeatedFailureLog(log, "Event hub connection");

    private final Sinks.Many<Object> localCommits = Sinks.many().multicast().directBestEffort();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong connects = new AtomicLong();
    private volatile boolean listening;
    /** When the last read that found nothing left to deliver began (System.nanoTime); the lag counts from it. */
    private volatile long caughtUpAt = System.nanoTime();
    private Disposable loop;

    LogFollower(PostgresqlConnectionFactory connections, Duration pollInterval, String listenSql, WatcherFanOut fanOut) {
        this.connections = connections;
        this.pollInterval = pollInterval;
        this.listenSql = listenSql;
        this.fanOut = fanOut;
    }

    /** Takes the current end of the log as the starting position (blocking: start-up only), then follows it. */
    void start() {
        Start start = Mono.usingWhen(connections.create(),
                c -> Mono.from(c.createStatement(ExecutionEventsSql.HUB_START).execute())
                        .flatMap(r -> Mono.from(r.map((row, meta) -> start(row)))),
                PostgresqlConnection::close)
                .block(Duration.ofSeconds(30));
        fanOut.startAt(start.position(), start.xmin());
        loop = Flux.usingWhen(connections.create(), this::follow, LogFollower::closeQuietly)
                .doOnError(e -> {
                    listening = false;
                    connectionFailures.failed(e, "reconnecting");
                })
                // transientErrors: the backoff starts again at 50 ms once a connection has answered LISTEN,
                // so a hub that lost many connections over its life still reconnects at once.
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(50)).maxBackoff(Duration.ofSeconds(2))
                        .transientErrors(true))
                .subscribe(null, e -> log.error("Event hub stopped", e));
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
                .onErrorResume(LogFollower::listenUnsupported, e -> {
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

    /** Where the hub starts, and its horizon: every transaction below xmin had ended. */
    private record Start(EventPosition position, long xmin) {
    }

    /** The log's last event before the start, or (xmin, 0) when there is none (START_SQL). */
    private static Start start(Row row) {
        String xid = row.get("xid_text", String.class);
        long xmin = EventPosition.xid(row.get("xmin", String.class));
        return new Start(xid == null ? new EventPosition(xmin, 0) : EventPosition.of(xid, row.get("sequence", Long.class)),
                xmin);
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
        EventPosition from = fanOut.position();
        boolean light = fanOut.joined() == 0;
        reads.incrementAndGet();
        long readStart = System.nanoTime(); // caught up, if it is, as of this read's snapshot
        return connection.createStatement(light ? ExecutionEventsSql.HUB_LIGHT_READ : ExecutionEventsSql.HUB_READ)
                .bind(0, from.xidText()).bind(1, from.sequence()).execute()
                .flatMap(r -> r.map((row, meta) -> readRow(row, light)))
                .collectList()
                .timeout(READ_TIMEOUT)
                .flatMap(rows -> {
                    List<ReadRow> settled = new ArrayList<>(rows.size());
                    boolean pending = false;
                    Long horizon = null;
                    for (ReadRow row : rows) {
                        switch (row.kind()) {
                            case PENDING -> pending = true;
                            case HORIZON -> horizon = row.position().xid();
                            case SETTLED -> settled.add(row);
                        }
                    }
                    // Less than a page: every event below the read's xmin has been read.
                    Long passed = settled.size() < ExecutionEventsSql.HUB_PAGE ? horizon : null;
                    if (!fanOut.deliver(settled, light, passed)) {
                        return Mono.defer(() -> catchUp(connection, retry)); // again, in full
                    }
                    if (settled.size() < ExecutionEventsSql.HUB_PAGE && !pending) {
                        caughtUpAt = readStart;
                    }
                    if (settled.size() >= ExecutionEventsSql.HUB_PAGE) {
                        return Mono.defer(() -> catchUp(connection, 0));
                    }
                    if (pending && retry < 30) { // an older transaction is still open: look again soon
                        return Mono.delay(Duration.ofMillis(Math.min(50, 1L << Math.min(retry, 6))))
                                .then(Mono.defer(() -> catchUp(connection, retry + 1)));
                    }
                    return Mono.empty();
                });
    }

    /** One row of {@link ExecutionEventsSql#HUB_READ} (or its light form): settled, pending, or the horizon. */
    private static ReadRow readRow(Row row, boolean light) {
        Boolean settled = row.get("settled", Boolean.class);
        if (settled == null) {
            return ReadRow.horizon(row);
        }
        if (!settled) {
            return ReadRow.PENDING;
        }
        return light ? ReadRow.light(row) : ReadRow.full(EventLog.read(row));
    }

    /** Reads now rather than on the next notification (dropped when a read is already pending: it sees them too). */
    void wake() {
        localCommits.tryEmitNext(Boolean.TRUE);
    }

    /** See {@link EventHub#lag}. */
    Duration lag() {
        return Duration.ofNanos(System.nanoTime() - caughtUpAt);
    }

    long reads() {
        return reads.get();
    }

    long connects() {
        return connects.get();
    }

    boolean listening() {
        return listening;
    }

    /** Stops following the log. */
    void stop() {
        if (loop != null) {
            loop.dispose();
        }
    }
}
