package dev.runplane.server;

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
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    private static final Pattern LISTENING = Pattern.compile("Runplane listening on [^:]+:(\\d+)");

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
            assertEquals(run.toBuilder().clearWaitingTime().build(), after.toBuilder().clearWaitingTime().build());
        }
    }

    @Test
    void aKilledServerLeavesNothingBehindThatBlocksTheNextStart() throws Exception {
        Process child = startChildServer();
        String id;
        try {
            int port = awaitPort(child);
            try (Client client = new Client(port)) {
                id = client.executions().run(RunRequest.newBuilder().setPipeline("survivor").build()).getExecution().getId();
            }
        } finally {
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: the postmaster is orphaned
        }
        try (Application app = Application.start(config()); Client client = new Client(app.port())) {
            assertEquals("survivor", client.get(id).getPipeline(), "an acknowledged Run survives SIGKILL");
        }
    }

    @Test
    void aSecondServerOnTheSameDataDirectoryIsRefused() throws Exception {
        try (Application app = Application.start(config())) {
            Process second = startChildServer();
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(second));
            assertTrue(second.waitFor(60, TimeUnit.SECONDS), "the second server exits");
            assertNotEquals(0, second.exitValue());
            assertTrue(output.get(10, TimeUnit.SECONDS).contains("Another Runplane server is using the data directory"),
                    output.get());
            try (Client client = new Client(app.port())) {
                assertEquals(HealthCheckResponse.ServingStatus.SERVING,
                        client.health().check(HealthCheckRequest.getDefaultInstance()).getStatus(),
                        "the first server is untouched");
            }
        }
    }

    private Process startChildServer() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--port", "0", "--data-dir", dataDir.toString())
                .redirectErrorStream(true)
                .start();
    }

    /** Reads the child's log until it says where it listens. */
    private static int awaitPort(Process child) throws Exception {
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        int found = Integer.parseInt(m.group(1));
                        // keep draining so the child never blocks on a full pipe
                        Thread drain = new Thread(() -> readAll(child));
                        drain.setDaemon(true);
                        drain.start();
                        return found;
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            throw new IllegalStateException("the server exited before listening");
        });
        return port.get(60, TimeUnit.SECONDS);
    }

    private static String readAll(Process process) {
        try {
            return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
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
