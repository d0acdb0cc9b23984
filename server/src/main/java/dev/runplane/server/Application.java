package dev.runplane.server;

import dev.runplane.server.api.ExecutionGrpcService;
import dev.runplane.server.api.WorkerGrpcService;
import dev.runplane.server.core.Executions;
import dev.runplane.server.core.LocalWorkSignals;
import dev.runplane.server.core.Reaper;
import dev.runplane.server.core.SignallingExecutionStore;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.core.Workers;
import dev.runplane.server.store.Database;
import dev.runplane.server.store.DatabaseAddress;
import dev.runplane.server.store.EmbeddedDatabase;
import dev.runplane.server.store.PostgresExecutionStore;
import dev.runplane.server.store.PostgresWorkerStore;
import dev.runplane.server.store.WorkListener;
import io.grpc.BindableService;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: database (embedded or external), schema, store, services, gRPC server.
 * Closing it stops them in reverse order, the embedded PostgreSQL last.
 */
public final class Application implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Application.class);

    private final ServerConfig config;
    private final EmbeddedDatabase embedded;
    private final Database database;
    private final RunplaneServer server;
    /** Worker side: the reaper and the listener that wakes pollers; stopped before the database. */
    private final List<AutoCloseable> background;
    private final Workers workers;

    private Application(ServerConfig config, EmbeddedDatabase embedded, Database database, RunplaneServer server,
                        List<AutoCloseable> background, Workers workers) {
        this.config = config;
        this.embedded = embedded;
        this.database = database;
        this.server = server;
        this.background = background;
        this.workers = workers;
    }

    /** Starts everything and listens on the configured Netty address. */
    public static Application start(ServerConfig config) {
        return start(config, NettyServerBuilder.forAddress(new InetSocketAddress(config.bind(), config.port())));
    }

    /** Starts everything on the given transport (in-process in tests). */
    public static Application start(ServerConfig config, ServerBuilder<?> transport) {
        return start(config, transport, WorkerSettings.DEFAULT);
    }

    /** Starts everything on the given transport with these worker timings (short ones in tests). */
    public static Application start(ServerConfig config, ServerBuilder<?> transport, WorkerSettings workerSettings) {
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
            return start(config, transport, embedded, database, workerSettings);
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
                                     Database database, WorkerSettings workerSettings) {
        LocalWorkSignals workSignals = new LocalWorkSignals();
        Executions executions = new Executions(
                new SignallingExecutionStore(new PostgresExecutionStore(database.pool()), workSignals));
        PostgresWorkerStore workerStore = new PostgresWorkerStore(database.pool());
        Workers workers = new Workers(workerStore, workSignals, workerSettings);
        List<BindableService> services = List.of(
                new ExecutionGrpcService(executions, config.limits()),
                new WorkerGrpcService(workers, config.limits()));
        WorkListener listener = new WorkListener(database.address(), workSignals).start();
        Reaper reaper = new Reaper(workerStore, workSignals, workerSettings).start();
        RunplaneServer server = new RunplaneServer(transport, services).start();
        log.info("Runplane listening on {}:{} (database {})", config.bind(), server.port(), database.address());
        return new Application(config, embedded, database, server, List.of(reaper, listener), workers);
    }

    public int port() {
        return server.port();
    }

    public Database database() {
        return database;
    }

    public RunplaneServer server() {
        return server;
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        workers.stopWaiting(); // long-polls answer empty now instead of holding up the drain
        server.stop(config.drainTime().toMillis());
        for (AutoCloseable task : background) {
            try {
                task.close();
            } catch (Exception e) {
                log.warn("Could not stop {}: {}", task, e.toString());
            }
        }
        database.close();
        if (embedded != null) {
            embedded.close();
        }
        log.info("Runplane stopped");
    }
}
