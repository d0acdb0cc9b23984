package dev.runplane.server.store;

import dev.runplane.server.core.WorkSignals;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Wakes this replica's waiting pollers when any replica appends events (the V1 trigger NOTIFYs
 * {@code runplane_events} once per statement). ONE dedicated connection, outside the pool. A
 * notification is only a hint; pollers re-check the queue on their own fallback interval anyway, so
 * a lost notification or a reconnect costs latency, never work. The event hub can later feed the
 * same {@link WorkSignals} and replace this class.
 */
public final class WorkListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkListener.class);
    static final String CHANNEL = "runplane_events";
    static final Duration COALESCE = Duration.ofMillis(10);

    private final PostgresqlConnectionFactory factory;
    private final WorkSignals signals;
    private Disposable running;

    public WorkListener(DatabaseAddress address, WorkSignals signals) {
        this.factory = new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder()
                .host(address.host())
                .port(address.port())
                .database(address.database())
                .username(address.user())
                .password(address.password())
                .applicationName("runplane-work-listener")
                .connectTimeout(Duration.ofSeconds(5))
                .build());
        this.signals = signals;
    }

    public synchronized WorkListener start() {
        running = Flux.usingWhen(factory.create(), this::listen, PostgresqlConnection::close)
                .doOnError(error -> log.warn("Work listener lost its connection, reconnecting: {}", error.toString()))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(2))
                        .transientErrors(true))
                .subscribe();
        return this;
    }

    /**
     * Subscribes to notifications FIRST, then LISTENs (r2dbc drops notifications nobody listens to),
     * then signals once to cover what happened while not listening. A periodic SELECT 1 notices a hung
     * server, which TCP alone would not for hours.
     */
    private Flux<Object> listen(PostgresqlConnection connection) {
        // Every committed event statement of every replica notifies (claims and Completes too, not only
        // new work), so wake-ups are coalesced: at most one per COALESCE window, still within milliseconds.
        Flux<Object> notifications = connection.getNotifications().onBackpressureLatest()
                .sample(COALESCE)
                .doOnNext(notification -> signals.signal(null)).cast(Object.class);
        Mono<Object> subscribe = connection.createStatement("LISTEN " + CHANNEL).execute()
                .flatMap(result -> result.getRowsUpdated()).then(Mono.fromRunnable(() -> signals.signal(null)));
        Flux<Object> keepAlive = Flux.interval(Duration.ofSeconds(15)).onBackpressureDrop()
                .concatMap(tick -> connection.createStatement("SELECT 1").execute()
                        .flatMap(result -> result.map((row, meta) -> 1)).then().timeout(Duration.ofSeconds(5)))
                .cast(Object.class);
        return Flux.merge(notifications, subscribe, keepAlive);
    }

    @Override
    public synchronized void close() {
        if (running != null) {
            running.dispose();
        }
    }
}
