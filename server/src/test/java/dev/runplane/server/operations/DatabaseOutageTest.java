package dev.runplane.server.operations;

import dev.runplane.server.store.DatabaseAddress;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.RunRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PostgreSQL stopped for 10 s under load (8 clients calling Run in a loop) and started again on the
 * same data directory and port, with no server restart.
 */
class DatabaseOutageTest {

    @TempDir
    Path dataDir;

    private static EmbeddedPostgres startPostgres(Path dir, int port) throws Exception {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false);
        if (port > 0) {
            builder.setPort(port);
        }
        return builder.start();
    }

    @Test
    void runsFailFastWithUnavailableAndEverythingRecovers() throws Exception {
        EmbeddedPostgres postgres = startPostgres(dataDir, 0);
        int port = postgres.getPort();
        DatabaseAddress address = new DatabaseAddress("127.0.0.1", port, "postgres", "postgres", "");
        List<UUID> acknowledged = Collections.synchronizedList(new ArrayList<>());
        Map<Status.Code, AtomicLong> failures = new ConcurrentHashMap<>();
        AtomicLong slowestFailureMillis = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try (TestServer server = TestServer.start(address)) {
            for (int i = 0; i < 8; i++) {
                clients.submit(() -> {
                    while (!stop.get()) {
                        long start = System.nanoTime();
                        try {
                            acknowledged.add(UUID.fromString(ExecutionServiceGrpc.newBlockingStub(server.channel())
                                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                                    .run(RunRequest.newBuilder().setPipeline("outage").build()).getExecution().getId()));
                        } catch (StatusRuntimeException e) {
                            failures.computeIfAbsent(e.getStatus().getCode(), c -> new AtomicLong()).incrementAndGet();
                            slowestFailureMillis.accumulateAndGet(
                                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), Math::max);
                            pause(50); // a client's back-off before it retries
                        }
                    }
                    return null;
                });
            }
            await("runs succeed before the outage", () -> acknowledged.size() >= 50, Duration.ofSeconds(30));
            assertEquals(ServingStatus.SERVING, health(server));

            postgres.close();
            Instant stoppedAt = Instant.now();
            await("health NOT_SERVING while the database is down",
                    () -> health(server) == ServingStatus.NOT_SERVING, Duration.ofSeconds(10));
            await("Runs answer UNAVAILABLE", () -> failures.containsKey(Status.Code.UNAVAILABLE), Duration.ofSeconds(10));
            int beforeRestart = acknowledged.size();
            Thread.sleep(Math.max(0, 10_000 - Duration.between(stoppedAt, Instant.now()).toMillis())); // the outage itself

            postgres = startPostgres(dataDir, port);
            await("health SERVING again", () -> health(server) == ServingStatus.SERVING, Duration.ofSeconds(30));
            await("runs succeed after the outage", () -> acknowledged.size() >= beforeRestart + 50,
                    Duration.ofSeconds(30));
            stop.set(true);
            clients.shutdown();
            assertTrue(clients.awaitTermination(30, TimeUnit.SECONDS));

            assertEquals(Map.of(Status.Code.UNAVAILABLE, failures.get(Status.Code.UNAVAILABLE)), failures,
                    "the only failure is UNAVAILABLE (retryable)");
            assertTrue(slowestFailureMillis.get() < 2000, "failed calls answered within 2 s; slowest "
                    + slowestFailureMillis.get() + " ms");
            try (Connection c = postgres.getPostgresDatabase().getConnection();
                 PreparedStatement s = c.prepareStatement("SELECT count(*) FROM executions WHERE id = ANY (?)")) {
                Array ids = c.createArrayOf("uuid", acknowledged.toArray());
                s.setArray(1, ids);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    assertEquals(acknowledged.size(), rs.getInt(1), "every acknowledged Run is stored");
                }
            }
        } finally {
            stop.set(true);
            clients.shutdownNow();
            postgres.close();
        }
    }

    private static ServingStatus health(TestServer server) {
        try {
            return HealthGrpc.newBlockingStub(server.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } catch (StatusRuntimeException e) {
            return ServingStatus.UNKNOWN;
        }
    }

    static void await(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(50); // polling a condition with a deadline
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
