package dev.runplane.server.testing;

import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.ManagedChannel;
import java.net.URI;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link TestServer} on a fresh database for all the tests of a class, started before the first
 * and closed after the last: {@code @RegisterExtension static final PerClassServer server = new
 * PerClassServer();} ({@link #withHttp()} with the HTTP face too). It answers the calls that such tests make of their server.
 */
public final class PerClassServer implements BeforeAllCallback, AfterAllCallback {

    private final boolean withHttp;
    private TestServer server;

    public PerClassServer() {
        this(false);
    }

    private PerClassServer(boolean withHttp) {
        this.withHttp = withHttp;
    }

    /** The same with the HTTP face on a free port ({@link TestServer#startWithHttp()}). */
    public static PerClassServer withHttp() {
        return new PerClassServer(true);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        this.server = this.withHttp ? TestServer.startWithHttp() : TestServer.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        this.server.close();
    }

    /** The server itself, for what this class does not forward. */
    public TestServer get() {
        return this.server;
    }

    public ExecutionServiceGrpc.ExecutionServiceBlockingStub executions() {
        return this.server.executions();
    }

    public WorkerServiceGrpc.WorkerServiceBlockingStub workers() {
        return this.server.workers();
    }

    /** The HTTP face's base address; only with {@link #withHttp()}. */
    public URI http() {
        return this.server.http();
    }

    public ManagedChannel channel() {
        return this.server.channel();
    }

    public DatabaseAddress database() {
        return this.server.database();
    }

    public void awaitWatchers(int count) throws InterruptedException {
        this.server.awaitWatchers(count);
    }
}
