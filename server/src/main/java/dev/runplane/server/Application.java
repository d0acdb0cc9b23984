package dev.runplane.server;

import dev.runplane.server.core.Executions;
import dev.runplane.server.core.LocalWorkSignals;
import dev.runplane.server.core.Queues;
import dev.runplane.server.core.Reaper;
import dev.runplane.server.core.SeenWorkers;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.core.Workers;
import dev.runplane.server.core.auth.Authenticator;
import dev.runplane.server.core.auth.KeyStore;
import dev.runplane.server.grpc.ExecutionGrpcService;
import dev.runplane.server.grpc.KeyGrpcService;
import dev.runplane.server.grpc.MetricsInterceptor;
import dev.runplane.server.grpc.WorkerGrpcService;
import dev.runplane.server.grpc.auth.AuthInterceptor;
import dev.runplane.server.http.HttpDoor;
import dev.runplane.server.http.HttpFace;
import dev.runplane.server.store.PostgresExecutionQueries;
import dev.runplane.server.store.PostgresExecutionStore;
import dev.runplane.server.store.PostgresKeyStore;
import dev.runplane.server.store.PostgresQueueQueries;
import dev.runplane.server.store.PostgresWorkerSightings;
import dev.runplane.server.store.PostgresWorkerStore;
import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.store.db.EmbeddedDatabase;
import dev.runplane.server.store.events.CoalescingNotifier;
import dev.runplane.server.store.events.EventHub;
import dev.runplane.server.store.events.PostgresExecutionWatch;
import io.grpc.BindableService;
import io.grpc.ServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Hooks;

/**
 * The composition root: database (embedded or external), schema, store, services, gRPC server.
 * Closing it stops them in reverse order, the embedded PostgreSQL last.
 */
public final class Application implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Application.class);
    /** Events a watcher may have waiting (beyond gRPC's own window) before it is ended as too slow. */
    private static final int WATCHER_BUFFER = 1024;

    static {
        // An error that reaches a stream after its client left (a watcher ended by a shutdown while the
        // client was cancelling) has nobody to tell: expected, so not an ERROR with a stack trace.
        Hooks.onErrorDropped(error -> log.debug("Error after the caller left: {}", error.toString()));
    }

    private final ServerConfig config;
    private final EmbeddedDatabase embedded;
    private final Database database;
    private final RunplaneServer server;
    /** The HTTP port; null when it is off. */
    private final HttpFace http;
    private final Operations operations;
    /** The live event log of this replica: watch streams, and wake-ups of pollers for other replicas' work. */
    private final EventHub hub;
    /** Worker side: the reaper; stopped before the database. */
    private final Reaper reaper;
    private final Workers workers;

    private Application(ServerConfig config, EmbeddedDatabase embedded, Database database, RunplaneServer server,
                        HttpFace http, Operations operations, EventHub hub, Reaper reaper, Workers workers) {
        this.config = config;
        this.embedded = embedded;
        this.database = database;
        this.server = server;
        this.http = http;
        this.operations = operations;
        this.hub = hub;
        this.reaper = reaper;
        this.workers = workers;
    }

    /** Starts everything and listens on the configured Netty address. */
    public static Application start(ServerConfig config) {
        return start(config, OperationsConfig.defaults());
    }

    /** Starts everything with these security and transport settings, on the configured Netty address. */
    public static Application start(ServerConfig config, OperationsConfig ops) {
        return start(config, ops, Transport.netty(config, ops));
    }

    /** Starts everything with these security settings and worker timings, on the configured Netty address. */
    public static Application start(ServerConfig config, OperationsConfig ops, WorkerSettings workerSettings) {
        return start(config, ops, workerSettings, Transport.netty(config, ops));
    }

    /** Starts everything on the given transport (in-process in tests). */
    public static Application start(ServerConfig config, ServerBuilder<?> transport) {
        return start(config, OperationsConfig.defaults(), transport);
    }

    /** Starts everything on the given transport with these security settings. */
    public static Application start(ServerConfig config, OperationsConfig ops, ServerBuilder<?> transport) {
        return start(config, ops, WorkerSettings.DEFAULT, transport);
    }

    /** Starts everything on the given transport with these worker timings (short ones in tests). */
    public static Application start(ServerConfig config, ServerBuilder<?> transport, WorkerSettings workerSettings) {
        return start(config, OperationsConfig.defaults(), workerSettings, transport);
    }

    /** Starts everything on the given transport with these security settings and worker timings. */
    public static Application start(ServerConfig config, OperationsConfig ops, WorkerSettings workerSettings,
                                    ServerBuilder<?> transport) {
        EmbeddedDatabase embedded = null;
        Database database = null;
        try {
            DatabaseAddress address;
            if (config.databaseUrl() == null) {
                embedded = startEmbedded(config);
                address = embedded.address();
            } else {
                address = DatabaseAddress.parse(config.databaseUrl());
            }
            database = Database.open(address, config.poolSize());
            return start(config, ops, workerSettings, transport, embedded, database);
        } catch (RuntimeException e) {
            if (database != null) {
                database.close();
            }
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    /** The embedded PostgreSQL; another server on its data directory is a refusal (a message, exit 2). */
    private static EmbeddedDatabase startEmbedded(ServerConfig config) {
        try {
            return EmbeddedDatabase.start(config.dataDir(), config.durableEmbedded());
        } catch (EmbeddedDatabase.DataDirectoryInUseException e) {
            throw new StartupChecks.StartupRefusedException(e.getMessage());
        }
    }

    private static Application start(ServerConfig config, OperationsConfig ops, WorkerSettings workerSettings,
                                     ServerBuilder<?> transport, EmbeddedDatabase embedded, Database database) {
        // One dedicated connection for the live log, however many watchers and pollers (docs/events.md).
        EventHub hub = new EventHub(database.dedicatedConnections(EventHub.APPLICATION_NAME),
                Duration.ofSeconds(1), WATCHER_BUFFER).start();
        try {
            return start(config, ops, workerSettings, transport, embedded, database, hub);
        } catch (RuntimeException e) {
            hub.close();
            throw e;
        }
    }

    private static Application start(ServerConfig config, OperationsConfig ops, WorkerSettings workerSettings,
                                     ServerBuilder<?> transport, EmbeddedDatabase embedded, Database database,
                                     EventHub hub) {
        // Commits wake the local hub at once and other replicas through one NOTIFY per 5 ms at most.
        CoalescingNotifier notifier = new CoalescingNotifier(database.pool(), Duration.ofMillis(5), hub::wake,
                hub::queuedHere);
        LocalWorkSignals workSignals = new LocalWorkSignals();
        // Work queued through another replica (or by the reaper there) reaches waiting polls through the
        // hub: one signal per pipeline per read. Work queued here has signalled already, and a poller
        // that claims a full batch wakes the next one, so a signal per event only made idle pollers
        // run empty claims (measured: 1.9 claim statements per execution under the worker benchmark).
        hub.onQueued(pipelines -> pipelines.forEach(workSignals::signal));
        PostgresExecutionQueries queries = new PostgresExecutionQueries(database.pool(), database.customPlans());
        // The stores wake this replica's pollers themselves, once per commit that queued work.
        Executions executions = new Executions(
                new PostgresExecutionStore(database.pool(), notifier, workSignals), queries);
        PostgresWorkerStore workerStore = new PostgresWorkerStore(database.pool(), database.customPlans(), notifier,
                workSignals);
        // Issue 19: the workers that poll are recorded (coalesced) for every replica's ListWorkers.
        SeenWorkers seenWorkers = new SeenWorkers(new PostgresWorkerSightings(database.pool()), workerSettings.windows());
        Workers workers = new Workers(workerStore, workSignals, workerSettings, seenWorkers);
        Queues queues = new Queues(new PostgresQueueQueries(database.pool(), database.customPlans()),
                workerSettings.windows());
        // Issue 7: keys, their admin service, and the interceptor in front of every call.
        KeyStore keys = new PostgresKeyStore(database.pool());
        Authenticator authenticator = new Authenticator(keys, ops.keyCacheTtl(), Clock.systemUTC());
        StartupChecks.refuseOpenNonLoopbackBind(config, ops, authenticator);
        // Auth goes on each service inside its parse guard (RunplaneServer): it reads parsed requests.
        AuthInterceptor auth = new AuthInterceptor(authenticator, queries, ops.insecure(), ops.protectReflection(),
                ops.maxStreamsPerKey());
        PrometheusMeterRegistry registry = Operations.registryFor(ops);
        // The HTTP face's private transport: the same services, interceptors and limits (issue 20).
        HttpDoor door = ops.http().enabled() ? HttpDoor.create() : null;
        for (ServerBuilder<?> builder : door == null ? List.<ServerBuilder<?>>of(transport)
                : List.of(transport, door.builder())) {
            if (registry != null) {
                builder.intercept(new MetricsInterceptor(registry)); // added after the door's peer, so it runs first
            }
            builder.maxInboundMessageSize(ops.transport().maxInboundMessageBytes())
                    .maxInboundMetadataSize(ops.transport().maxInboundMetadataBytes());
        }
        List<BindableService> services = List.of(
                new ExecutionGrpcService(executions, config.limits(),
                        new PostgresExecutionWatch(hub, database.pool(), database.customPlans()), queues),
                new WorkerGrpcService(workers, config.limits()),
                new KeyGrpcService(keys, authenticator, Clock.systemUTC()));
        Reaper reaper = new Reaper(workerStore, workerSettings).start();
        RunplaneServer server;
        try {
            server = new RunplaneServer(transport, door == null ? null : door.builder(), services, List.of(auth)).start();
        } catch (RuntimeException e) {
            reaper.close();
            throw e;
        }
        HttpFace http;
        try {
            http = door == null ? null : door.open(config.bind(), ops, server.doorServices());
        } catch (RuntimeException e) {
            server.stopNow();
            reaper.close();
            throw e;
        }
        log.info("Runplane listening on {}:{} (database {})", config.bind(), server.port(), database.address());
        if (http != null) {
            log.info("Dashboard and HTTP API (Connect, SSE, webhooks) on {}", door.url(config.bind(), ops, http));
        }
        Operations operations = new Operations(registry);
        operations.databaseLost().subscribe(lost -> hub.endWatchersForOutage()); // before the check starts
        operations.start(ops, config.bind(), database, server.health());
        operations.registerHub(hub);
        return new Application(config, embedded, database, server, http, operations, hub, reaper, workers);
    }

    public int port() {
        return server.port();
    }

    /** The HTTP port actually bound (useful with --http-port 0); -1 when the HTTP face is off. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    public Database database() {
        return database;
    }

    public EventHub eventHub() {
        return hub;
    }

    public RunplaneServer server() {
        return server;
    }

    /** Database watch, draining signal and metrics endpoint. */
    public Operations operations() {
        return operations;
    }

    /** Cuts a graceful stop short (a second signal): calls still running are cancelled. */
    public void stopNow() {
        server.stopNow();
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        // Health first (balancers stop sending), then the draining signal, then the watch streams end
        // with UNAVAILABLE and their resume point (clients move to another replica), long polls answer
        // empty, and no new calls come in while unary calls drain; the database goes last.
        log.info("Stopping: health NOT_SERVING, draining calls for up to {}", config.drainTime());
        operations.beginDrain(server.health());
        hub.close();
        workers.stopWaiting();
        server.stop(config.drainTime().toMillis());
        if (http != null) {
            http.close(); // its calls ended with the server's; now its connections close
        }
        reaper.close();
        operations.close();
        database.close();
        if (embedded != null) {
            embedded.close();
        }
        log.info("Runplane stopped");
    }
}
