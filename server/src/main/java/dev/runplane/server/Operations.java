package dev.runplane.server;

import com.sun.net.httpserver.HttpServer;
import dev.runplane.server.store.ExecutionStats;
import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.events.EventHub;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The running server's operational side (issue 7): health follows the database (NOT_SERVING while
 * it does not answer, SERVING again when it does, no restart), the "draining" signal of a graceful
 * stop, and the Prometheus endpoint.
 */
public final class Operations implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Operations.class);
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration STATS_INTERVAL = Duration.ofSeconds(10);
    /** Counting finished executions reads the whole history: every 5 minutes, not every 10 s. */
    private static final Duration FINISHED_STATS_INTERVAL = Duration.ofMinutes(5);

    private final Sinks.Empty<Void> draining = Sinks.empty();
    private final Sinks.Many<Boolean> databaseLost = Sinks.many().multicast().directBestEffort();
    private final Disposable.Composite tasks = Disposables.composite();
    private final PrometheusMeterRegistry registry;
    private HttpServer metricsServer;
    private volatile boolean databaseUp = true;

    Operations(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    /** A registry when metrics are on (the interceptor needs it before the server is built), else null. */
    static PrometheusMeterRegistry registryFor(OperationsConfig ops) {
        return ops.metricsPort() == null ? null : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /** Starts the database watch, and the metrics endpoint if configured. */
    void start(OperationsConfig ops, String bind, Database database, HealthStatusManager health) {
        watchDatabase(ops.databaseCheckInterval(), database::ping, health);
        if (registry != null) {
            registerGauges(database);
            serveMetrics(bind, ops.metricsPort());
        }
    }

    /**
     * Pings the database every {@code interval}. It counts as lost only when a ping and an
     * immediate second one both fail (or time out): one slow answer on a busy database must not
     * end every watch stream.
     */
    void watchDatabase(Duration interval, Supplier<Mono<Void>> ping, HealthStatusManager health) {
        tasks.add(Flux.interval(Duration.ZERO, interval)
                .onBackpressureDrop()
                .concatMap(tick -> Mono.defer(ping).timeout(PING_TIMEOUT).retry(1)
                        .thenReturn(true).onErrorReturn(false), 1)
                .subscribe(up -> {
                    if (up != databaseUp) {
                        databaseUp = up;
                        if (up) {
                            log.info("Database reachable again: health SERVING");
                        } else {
                            log.warn("Database unreachable: health NOT_SERVING; calls answer UNAVAILABLE until it returns");
                            databaseLost.tryEmitNext(true);
                        }
                    }
                    // Ignored once the health manager is terminal (a stop has begun).
                    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES,
                            up ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
                }));
    }

    /**
     * Completes when the server begins a graceful stop: long-lived streams subscribe to it and end
     * with UNAVAILABLE (and their resume point) so that clients move to another replica.
     */
    public Mono<Void> draining() {
        return draining.asMono();
    }

    /** Emits each time the database stops answering (watch streams end, with their resume point). */
    public Flux<Boolean> databaseLost() {
        return databaseLost.asFlux();
    }

    /**
     * Where other parts register their meters (open watch streams, event-hub lag); null when
     * metrics are off, so callers skip registration.
     */
    public io.micrometer.core.instrument.MeterRegistry registry() {
        return registry;
    }

    public boolean databaseUp() {
        return databaseUp;
    }

    /** The metrics port actually bound (useful with 0), or -1. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.getAddress().getPort();
    }

    /** Health NOT_SERVING first (the database watch stops, so it cannot flip it back), then the signal. */
    void beginDrain(HealthStatusManager health) {
        tasks.dispose();
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
        draining.tryEmitEmpty();
    }

    /** The gauges of one pool, tagged {@code pool} (see Database: "main" and "custom-plans"). */
    private void registerPoolGauges(String name, ConnectionPool connections) {
        PoolMetrics pool = connections.getMetrics().orElse(null);
        if (pool == null) {
            return;
        }
        Gauge.builder("runplane.db.pool.acquired", pool, PoolMetrics::acquiredSize).tag("pool", name)
                .description("Connections in use").register(registry);
        Gauge.builder("runplane.db.pool.idle", pool, PoolMetrics::idleSize).tag("pool", name)
                .description("Idle connections").register(registry);
        Gauge.builder("runplane.db.pool.pending", pool, PoolMetrics::pendingAcquireSize).tag("pool", name)
                .description("Callers waiting for a connection").register(registry);
        Gauge.builder("runplane.db.pool.max", pool, PoolMetrics::getMaxAllocatedSize).tag("pool", name)
                .description("Pool size").register(registry);
    }

    private void registerGauges(Database database) {
        registerPoolGauges("main", database.pool());
        registerPoolGauges("custom-plans", database.customPlans());
        Gauge.builder("runplane.db.up", this, o -> o.databaseUp ? 1 : 0)
                .description("1 while the database answers").register(registry);
        MultiGauge byStatus = MultiGauge.builder("runplane.executions")
                .description("Executions by status").register(registry);
        MultiGauge queueDepth = MultiGauge.builder("runplane.queue.depth")
                .description("Queued executions per pipeline").register(registry);
        MultiGauge queueAge = MultiGauge.builder("runplane.queue.oldest.age").baseUnit("seconds")
                .description("How long the oldest queued execution of each pipeline has waited").register(registry);
        ExecutionStats stats = new ExecutionStats(database.customPlans());
        ExecutionCounts counts = new ExecutionCounts(byStatus);
        tasks.add(Flux.interval(Duration.ZERO, STATS_INTERVAL)
                .onBackpressureDrop()
                .concatMap(tick -> Mono.zip(stats.active(), stats.queues())
                        .doOnNext(active -> {
                            counts.active(active.getT1());
                            List<ExecutionStats.Queue> queues = active.getT2();
                            queueDepth.register(queues.stream().map(q -> MultiGauge.Row.of(
                                    Tags.of("pipeline", q.pipeline()), q.depth())).toList(), true);
                            queueAge.register(queues.stream().map(q -> MultiGauge.Row.of(
                                    Tags.of("pipeline", q.pipeline()), q.oldestAgeSeconds())).toList(), true);
                        })
                        .onErrorResume(e -> Mono.empty()), 1)
                .subscribe());
        tasks.add(Flux.interval(Duration.ZERO, FINISHED_STATS_INTERVAL)
                .onBackpressureDrop()
                .concatMap(tick -> stats.finished().doOnNext(counts::finished).onErrorResume(e -> Mono.empty()), 1)
                .subscribe());
    }

    /** The executions gauge from its two sources, refreshed at their own pace. */
    private static final class ExecutionCounts {

        private final MultiGauge gauge;
        private List<ExecutionStats.StatusCount> active = List.of();
        private List<ExecutionStats.StatusCount> finished = List.of();

        ExecutionCounts(MultiGauge gauge) {
            this.gauge = gauge;
        }

        synchronized void active(List<ExecutionStats.StatusCount> counts) {
            active = counts;
            publish();
        }

        synchronized void finished(List<ExecutionStats.StatusCount> counts) {
            finished = counts;
            publish();
        }

        private void publish() {
            gauge.register(java.util.stream.Stream.concat(active.stream(), finished.stream())
                    .map(c -> MultiGauge.Row.of(Tags.of("status", c.status()), c.count())).toList(), true);
        }
    }

    /** The event hub's gauges: open watch streams on this replica, and how far the hub is behind the log. */
    void registerHub(EventHub hub) {
        if (registry == null) {
            return;
        }
        Gauge.builder("runplane.watch.streams", hub, EventHub::watchers)
                .description("Open WatchExecution and WatchExecutions streams on this replica")
                .register(registry);
        Gauge.builder("runplane.event.hub.lag", hub, h -> h.lag().toNanos() / 1e9).baseUnit("seconds")
                .description("Time since the event hub last had every committed event delivered").register(registry);
    }

    private void serveMetrics(String bind, int port) {
        try {
            metricsServer = HttpServer.create(new InetSocketAddress(bind, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on " + bind + ":" + port + ": " + e.getMessage(), e);
        }
        metricsServer.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        metricsServer.start();
        log.info("Prometheus metrics on http://{}:{}/metrics", bind, metricsServer.getAddress().getPort());
    }

    @Override
    public void close() {
        draining.tryEmitEmpty();
        tasks.dispose();
        if (metricsServer != null) {
            metricsServer.stop(0);
        }
        if (registry != null) {
            registry.close();
        }
    }
}
