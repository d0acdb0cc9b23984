package dev.runplane.server.operations;

import dev.runplane.server.Application;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.ServerProcess;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.RunRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server owns its embedded PostgreSQL (issue 17, item 10): when the postmaster dies (SIGKILL,
 * under load), the server restarts it on the same data directory and port, PostgreSQL's crash
 * recovery replays its log, and health is SERVING again by itself, with no restart of the server.
 */
class EmbeddedDatabaseRecoveryTest {

    private static final int CLIENTS = 4;
    /** Bounds the load: each client sends at most this many Runs. */
    private static final int RUNS_PER_CLIENT = 5_000;

    @TempDir
    Path dataDir;

    @Test
    void aKilledPostmasterIsRestartedAndEveryAcknowledgedRunIsThere() throws Exception {
        List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
        Map<Status.Code, AtomicLong> failures = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try (TestServer server = TestServer.startEmbedded(dataDir)) {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                running.add(clients.submit(() -> {
                    for (int n = 0; n < RUNS_PER_CLIENT && !stop.get(); n++) {
                        try {
                            acknowledged.add(ExecutionServiceGrpc.newBlockingStub(server.channel())
                                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                                    .run(RunRequest.newBuilder().setPipeline("crash").build()).getExecution().getId());
                        } catch (StatusRuntimeException e) {
                            failures.computeIfAbsent(e.getStatus().getCode(), c -> new AtomicLong()).incrementAndGet();
                            Eventually.backOff(50); // a client's back-off before it retries (not a poll)
                        }
                    }
                    return null;
                }));
            }
            Eventually.await(Duration.ofSeconds(30), "Runs succeed before the kill", () -> acknowledged.size() >= 100);
            assertEquals(ServingStatus.SERVING, server.health());

            long killed = postmasterPid().orElseThrow();
            // SIGKILL (destroyForcibly on Linux): PostgreSQL gets no chance to shut down cleanly.
            assertTrue(ProcessHandle.of(killed).orElseThrow().destroyForcibly(), "SIGKILL sent to " + killed);
            Instant killedAt = Instant.now();
            Eventually.await(Duration.ofSeconds(30), "a new postmaster runs on the data directory", () -> {
                OptionalLong now = postmasterPid();
                return now.isPresent() && now.getAsLong() != killed
                        && ProcessHandle.of(now.getAsLong()).map(ProcessHandle::isAlive).orElse(false);
            });
            int beforeRecovery = acknowledged.size();
            Duration left = Duration.ofSeconds(30).minus(Duration.between(killedAt, Instant.now()));
            Eventually.await(left.isNegative() ? Duration.ZERO : left,
                    "health SERVING and Runs succeed within 30 s of the kill",
                    () -> server.health() == ServingStatus.SERVING && acknowledged.size() >= beforeRecovery + 20);
            assertTrue(server.app().operations().databaseUp(), "the server's own database watch agrees");

            stop.set(true);
            for (Future<?> client : running) {
                client.get(30, TimeUnit.SECONDS);
            }
            assertEquals(Set.of(Status.Code.UNAVAILABLE), failures.keySet(),
                    "the only failure during the outage is UNAVAILABLE (retryable): " + failures);
            List<String> missing = new ArrayList<>();
            for (String id : List.copyOf(acknowledged)) {
                try {
                    server.executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build());
                } catch (StatusRuntimeException e) {
                    missing.add(id + " " + e.getStatus());
                }
            }
            assertEquals(List.of(), missing, "every one of " + acknowledged.size() + " acknowledged Runs is there");
        } finally {
            stop.set(true);
            clients.shutdownNow();
        }
    }

    /** A stop that races the restart (the kill just before it) leaves no PostgreSQL running. */
    @Test
    void aStopRightAfterTheKillLeavesNoPostgresRunning() throws Exception {
        Application app = Application.start(ServerConfig.defaults().withDataDir(dataDir).withPort(0));
        long killed;
        try {
            killed = postmasterPid().orElseThrow();
            ProcessHandle.of(killed).orElseThrow().destroyForcibly();
            Eventually.await(Duration.ofSeconds(10), "the postmaster is gone", () -> !running(killed));
        } finally {
            app.close();
        }
        OptionalLong left = postmasterPid();
        assertFalse(left.isPresent() && running(left.getAsLong()), "no postmaster after the stop: " + left);
        // The data directory is free again: a new server starts on it and has its data.
        try (Application again = Application.start(ServerConfig.defaults().withDataDir(dataDir).withPort(0))) {
            assertNotEquals(killed, postmasterPid().orElseThrow());
            assertTrue(again.operations().databaseUp());
        }
    }

    /**
     * SIGTERM to a server process: the embedded PostgreSQL stops once, last, after the drain, and
     * stays stopped (the stop is not taken for a death to recover from). An open stream keeps the
     * drain going for its whole time, during which the database still answers.
     */
    @Test
    void aSigtermStopsTheEmbeddedPostgresLastAndForGood() throws Exception {
        ServerProcess server = ServerProcess.start(dataDir.resolve("server.log"), "--port", "0",
                "--data-dir", dataDir.toString(), "--drain-time", "3s");
        ManagedChannel channel = null;
        try {
            channel = NettyChannelBuilder.forAddress("127.0.0.1", server.awaitPort()).usePlaintext().build();
            List<ServingStatus> seen = Collections.synchronizedList(new ArrayList<>());
            HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
                @Override
                public void onNext(HealthCheckResponse value) {
                    seen.add(value.getStatus());
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            });
            Eventually.await(Duration.ofSeconds(10), "the stream is open", () -> !seen.isEmpty());
            long postmaster = postmasterPid().orElseThrow();
            server.process().destroy(); // SIGTERM
            Eventually.await(Duration.ofSeconds(10), "the drain began",
                    () -> seen.contains(ServingStatus.NOT_SERVING));
            // For 2 s of the 3 s drain (or until the server has gone), PostgreSQL keeps running.
            Eventually.holds(Duration.ofSeconds(2), "PostgreSQL runs while calls drain", () -> {
                if (server.process().isAlive()) {
                    assertTrue(running(postmaster), "PostgreSQL runs while calls drain:\n" + server.log());
                }
                return true;
            });
            assertTrue(server.process().waitFor(60, TimeUnit.SECONDS), "the server stopped");
            assertFalse(running(postmaster), "the postmaster stopped");
            OptionalLong left = postmasterPid();
            assertFalse(left.isPresent() && running(left.getAsLong()), "no postmaster restarted: " + server.log());
            assertFalse(server.log().contains("has died"), server.log());
        } finally {
            if (channel != null) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            server.process().destroyForcibly();
            postmasterPid().ifPresent(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        }
    }

    /** The postmaster's pid: the first line of postmaster.pid (under {@code unshare -U} too). */
    private OptionalLong postmasterPid() {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid"));
            return lines.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty(); // absent, or being rewritten by a starting postmaster
        }
    }

    /** Alive and not a zombie that nobody has reaped yet. */
    private static boolean running(long pid) {
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
            } catch (IOException e) {
                return false; // gone in between
            }
        }
        return false;
    }
}
