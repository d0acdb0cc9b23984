package dev.runplane.server;

import dev.runplane.server.api.ExecutionGrpcService;
import dev.runplane.server.api.WorkerGrpcService;
import dev.runplane.server.core.Executions;
import dev.runplane.server.store.CoalescingNotifier;
import dev.runplane.server.store.Database;
import dev.runplane.server.store.DatabaseAddress;
import dev.runplane.server.store.EmbeddedDatabase;
import dev.runplane.server.store.EventHub;
import dev.runplane.server.store.PostgresExecutionWatch;
import dev.runplane.server.store.PostgresExecutionStore;
import io.grpc.BindableService;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: database (embedded or external), schema, store, services, gRPC server.
 * Closing it stops them in reverse order, the embedded PostgreSQL last.
 */
public final class Application implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Application.class);
    /** Events a watcher may have waiting (beyond gRPC's own window) before it is ended as too slow. */
    private static final int WATCHER_BUFFER = 1024;

    private final ServerConfig config;
    private final EmbeddedDatabase embedded;
    private final Database database;
    private final RunplaneServer server;
    private final EventHub hub;

    private Application(ServerConfig config, EmbeddedDatabase embedded, Database database, RunplaneServer server,
                        EventHub hub) {
        this.config = config;
        this.embedded = embedded;
        this.database = database;
        this.server = server;
        this.hub = hub;
    }

    /** Starts everything and listens on the configured Netty address. */
    public static Application start(ServerConfig config) {
        return start(config, NettyServerBuilder.forAddress(new InetSocketAddress(config.bind(), config.port())));
    }

    /** Starts everything on the given transport (in-process in tests). */
    public static Application start(ServerConfig config, ServerBuilder<?> transport) {
        EmbeddedDatabase embedded = null;
        Database database = null;
        try {
            DatabaseAddress address;
            if (config.databaseUrl() == null) {
                embedded = EmbeddedDatabase.start(config.dataDir(), config.durableEmbedded());
                address = embedded.address();
            } else {
                address = DatabaseAddress.parse(config.databaseUrl());
            }
            database = Database.open(address, config.poolSize());
            return start(config, transport, embedded, database);
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

    private static Application start(ServerConfig config, ServerBuilder<?> transport, EmbeddedDatabase embedded,
                                     Database database) {
        // One dedicated connection for the live streams, however many watchers (docs/events.md).
        EventHub hub = new EventHub(database.dedicatedConnections(EventHub.APPLICATION_NAME),
                Duration.ofSeconds(1), WATCHER_BUFFER).start();
        // Commits wake the local hub at once and other replicas through one NOTIFY per 5 ms at most.
        CoalescingNotifier notifier = new CoalescingNotifier(database.pool(), Duration.ofMillis(5), hub::wake);
        Executions executions = new Executions(new PostgresExecutionStore(database.pool(), notifier));
        List<BindableService> services = List.of(
                new ExecutionGrpcService(executions, config.limits(), new PostgresExecutionWatch(hub, database.pool())),
                new WorkerGrpcService());
        RunplaneServer server;
        try {
            server = new RunplaneServer(transport, services).start();
        } catch (RuntimeException e) {
            hub.close();
            throw e;
        }
        log.info("Runplane listening on {}:{} (database {})", config.bind(), server.port(), database.address());
        return new Application(config, embedded, database, server, hub);
    }

    public int port() {
        return server.port();
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

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        hub.close(); // ends the watch streams (they resume elsewhere), so the drain below does not wait for them
        server.stop(config.drainTime().toMillis());
        database.close();
        if (embedded != null) {
            embedded.close();
        }
        log.info("Runplane stopped");
    }
}
