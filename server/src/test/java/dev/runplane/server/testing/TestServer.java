package dev.runplane.server.testing;

import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.http.HttpConfig;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A whole Runplane server on a fresh test database, reached through a real gRPC stack over an
 * in-process transport. Close it after the test.
 */
public final class TestServer implements AutoCloseable {

    private final DatabaseAddress database;
    private final Application app;
    private final ManagedChannel channel;

    private TestServer(DatabaseAddress database, Application app, ManagedChannel channel) {
        this.database = database;
        this.app = app;
        this.channel = channel;
    }

    public static TestServer start() {
        return start(TestPostgres.newDatabase());
    }

    /** A server on an existing database (a second replica, say). */
    public static TestServer start(DatabaseAddress database) {
        return start(database, OperationsConfig.defaults(), WorkerSettings.DEFAULT);
    }

    /** A server with these security settings (issue 7). */
    public static TestServer start(DatabaseAddress database, OperationsConfig ops) {
        return start(database, ops, WorkerSettings.DEFAULT);
    }

    /** A server on an existing database with these worker timings (short leases and grace in tests). */
    public static TestServer start(DatabaseAddress database, WorkerSettings workerSettings) {
        return start(database, OperationsConfig.defaults(), workerSettings);
    }

    public static TestServer start(DatabaseAddress database, OperationsConfig ops, WorkerSettings workerSettings) {
        String name = InProcessServerBuilder.generateName();
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(database)).withPort(0);
        Application app = Application.start(config, ops, workerSettings,
                InProcessServerBuilder.forName(name).directExecutor());
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        return new TestServer(database, app, channel);
    }

    /** A server on a fresh database with its HTTP face on a free port (issue 20). */
    public static TestServer startWithHttp() {
        return startWithHttp(TestPostgres.newDatabase(), HttpConfig.onPort(0));
    }

    /** A server on this database with this HTTP face (port 0: a free one; never 8080 in tests). */
    public static TestServer startWithHttp(DatabaseAddress database, HttpConfig http) {
        return start(database, OperationsConfig.defaults().withHttp(http), WorkerSettings.DEFAULT);
    }

    /**
     * A server on its own embedded PostgreSQL in {@code dataDir}, with the durable settings that
     * users get (tests that kill that PostgreSQL).
     */
    public static TestServer startEmbedded(Path dataDir) {
        String name = InProcessServerBuilder.generateName();
        ServerConfig config = ServerConfig.defaults().withDataDir(dataDir).withPort(0);
        Application app = Application.start(config, InProcessServerBuilder.forName(name).directExecutor());
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        return new TestServer(app.database().address(), app, channel);
    }

    public ExecutionServiceGrpc.ExecutionServiceBlockingStub executions() {
        return ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public WorkerServiceGrpc.WorkerServiceBlockingStub workers() {
        return WorkerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** The HTTP face's base address, {@code http://127.0.0.1:PORT}; fails when the face is off. */
    public java.net.URI http() {
        int port = app.httpPort();
        if (port < 0) {
            throw new IllegalStateException("this test server has no HTTP face: start it with startWithHttp");
        }
        return java.net.URI.create("http://127.0.0.1:" + port);
    }

    public ManagedChannel channel() {
        return channel;
    }

    public DatabaseAddress database() {
        return database;
    }

    public Application app() {
        return app;
    }

    /** Waits (60 s at most) until this server's event hub has exactly {@code count} watchers. */
    public void awaitWatchers(int count) throws InterruptedException {
        Eventually.within(Duration.ofSeconds(60), () -> app.eventHub().watchers() == count);
        org.junit.jupiter.api.Assertions.assertEquals(count, app.eventHub().watchers(), "watchers of the event hub");
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        app.close();
    }

    /** This server's health (grpc.health.v1, the whole server); UNKNOWN when the call fails. */
    public ServingStatus health() {
        try {
            return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } catch (StatusRuntimeException e) {
            return ServingStatus.UNKNOWN;
        }
    }
}
