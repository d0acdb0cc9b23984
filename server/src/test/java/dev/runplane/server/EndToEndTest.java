package dev.runplane.server;

import dev.runplane.server.testing.ServerProcess;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.RunRequest;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server as users run it: a real Netty port, the embedded PostgreSQL with durable settings on
 * a data directory, restarts, a SIGKILL, and a second server on the same directory.
 */
class EndToEndTest {

    @TempDir
    Path dataDir;

    private ServerConfig config() {
        return ServerConfig.defaults().withPort(0).withDataDir(dataDir);
    }

    @Test
    void runAndGetOverNettySurviveARestart() throws Exception {
        Execution run;
        try (Application app = Application.start(config())) {
            assertEquals("on", setting(app, "fsync"));
            assertEquals("on", setting(app, "synchronous_commit"));
            try (Client client = new Client(app.port())) {
                assertEquals(HealthCheckResponse.ServingStatus.SERVING,
                        client.health().check(HealthCheckRequest.getDefaultInstance()).getStatus());
                run = client.executions().run(RunRequest.newBuilder().setPipeline("nightly").build()).getExecution();
                assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, run.getStatus());
                assertEquals(1, run.getRevision());
                assertTrue(run.hasCreateTime() && run.hasQueueTime());
                assertEquals(run.getId(), client.get(run.getId()).getId());
            }
        }
        try (Application app = Application.start(config()); Client client = new Client(app.port())) {
            Execution after = client.get(run.getId());
            // GetExecution adds the queue position (issue 19): the only execution queued is first.
            assertEquals(1, after.getQueuePosition());
            assertEquals(run.toBuilder().clearWaitingTime().build(),
                    after.toBuilder().clearWaitingTime().clearQueuePosition().build());
        }
    }

    @Test
    void aKilledServerLeavesNothingBehindThatBlocksTheNextStart() throws Exception {
        ServerProcess child = startChildServer("killed.log");
        String id;
        try {
            int port = child.awaitPort();
            try (Client client = new Client(port)) {
                id = client.executions().run(RunRequest.newBuilder().setPipeline("survivor").build()).getExecution().getId();
            }
        } finally {
            child.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: the postmaster is orphaned
        }
        try (Application app = Application.start(config()); Client client = new Client(app.port())) {
            assertEquals("survivor", client.get(id).getPipeline(), "an acknowledged Run survives SIGKILL");
        }
    }

    @Test
    void aSecondServerOnTheSameDataDirectoryIsRefused() throws Exception {
        try (Application app = Application.start(config())) {
            ServerProcess second = startChildServer("second.log");
            assertTrue(second.process().waitFor(60, TimeUnit.SECONDS), "the second server exits");
            assertNotEquals(0, second.process().exitValue());
            assertTrue(second.log().contains("Another Runplane server is using the data directory"), second.log());
            try (Client client = new Client(app.port())) {
                assertEquals(HealthCheckResponse.ServingStatus.SERVING,
                        client.health().check(HealthCheckRequest.getDefaultInstance()).getStatus(),
                        "the first server is untouched");
            }
        }
    }

    /** The launcher in its own JVM on this test's data directory (its log inside it, removed with it). */
    private ServerProcess startChildServer(String logName) throws Exception {
        return ServerProcess.start(dataDir.resolve(logName),
                "--port", "0", "--data-dir", dataDir.toString());
    }

    private static String setting(Application app, String name) throws Exception {
        var address = app.database().address();
        try (Connection c = DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password());
             ResultSet r = c.createStatement().executeQuery("SHOW " + name)) {
            r.next();
            return r.getString(1);
        }
    }

    /** A plaintext client on a real port. */
    private static final class Client implements AutoCloseable {
        private final ManagedChannel channel;

        Client(int port) {
            channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        }

        ExecutionServiceGrpc.ExecutionServiceBlockingStub executions() {
            return ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
        }

        HealthGrpc.HealthBlockingStub health() {
            return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
        }

        Execution get(String id) {
            return executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution();
        }

        @Override
        public void close() throws InterruptedException {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
