package dev.runplane.server.operations;

import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
            ResumingWatcher watcher = new ResumingWatcher(server);
            List<UUID> warmUp = new ArrayList<>();
            // The watcher joins asynchronously: Run until it has seen a first event (its resume point).
            for (int i = 0; watcher.sequences().isEmpty(); i++) {
                assertTrue(i < 30, "the watcher receives events");
                warmUp.add(UUID.fromString(ExecutionServiceGrpc.newBlockingStub(server.channel())
                        .run(RunRequest.newBuilder().setPipeline("outage").build()).getExecution().getId()));
                // Up to 1 s for this Run's event; if it joined late, it sees the next Run.
                Eventually.within(Duration.ofSeconds(1), () -> !watcher.sequences().isEmpty());
            }
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
                            Eventually.backOff(50); // a client's back-off before it retries (not a poll)
                        }
                    }
                    return null;
                });
            }
            Eventually.await(Duration.ofSeconds(30), "runs succeed before the outage", () -> acknowledged.size() >= 50);
            assertEquals(ServingStatus.SERVING, server.health());

            postgres.close();
            Instant stoppedAt = Instant.now();
            Eventually.await(Duration.ofSeconds(10), "health NOT_SERVING while the database is down",
                    () -> server.health() == ServingStatus.NOT_SERVING);
            Eventually.await(Duration.ofSeconds(10), "Runs answer UNAVAILABLE",
                    () -> failures.containsKey(Status.Code.UNAVAILABLE));
            int beforeRestart = acknowledged.size();
            // A watch opened (or resumed) while the database is down fails fast with UNAVAILABLE, not INTERNAL.
            long resumeFrom = watcher.sequences().get(watcher.sequences().size() - 1);
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () ->
                    ExecutionServiceGrpc.newBlockingStub(server.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                            .watchExecutions(WatchExecutionsRequest.newBuilder().setAfterSequence(resumeFrom)
                                    .setFilter(ExecutionFilter.newBuilder().addPipelines("outage")).build()).hasNext());
            assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());
            refused = assertThrows(StatusRuntimeException.class, () ->
                    ExecutionServiceGrpc.newBlockingStub(server.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                            .watchExecution(WatchExecutionRequest.newBuilder().setId(warmUp.get(0).toString()).build())
                            .hasNext());
            assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());
            // The outage itself, 10 s from the stop: not a poll, nothing to wait for but its length.
            Thread.sleep(Math.max(0, 10_000 - Duration.between(stoppedAt, Instant.now()).toMillis()));

            postgres = startPostgres(dataDir, port);
            Eventually.await(Duration.ofSeconds(30), "health SERVING again",
                    () -> server.health() == ServingStatus.SERVING);
            Eventually.await(Duration.ofSeconds(30), "runs succeed after the outage",
                    () -> acknowledged.size() >= beforeRestart + 50);
            stop.set(true);
            clients.shutdown();
            assertTrue(clients.awaitTermination(30, TimeUnit.SECONDS));

            assertEquals(Map.of(Status.Code.UNAVAILABLE, failures.get(Status.Code.UNAVAILABLE)), failures,
                    "the only failure is UNAVAILABLE (retryable)");
            watcherMissedNothing(watcher, acknowledged, postgres);
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

    /**
     * The watcher holds the pipeline's log from its first event on, in log order, each event once; so
     * every event of every Run answered OK. Its streams only ever ended with UNAVAILABLE.
     */
    private static void watcherMissedNothing(ResumingWatcher watcher, List<UUID> acknowledged, EmbeddedPostgres postgres)
            throws Exception {
        List<Long> log = new ArrayList<>();
        Map<Long, UUID> executionOf = new ConcurrentHashMap<>();
        try (Connection c = postgres.getPostgresDatabase().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT e.sequence, e.execution_id FROM execution_events e"
                     + " JOIN executions x ON x.id = e.execution_id WHERE x.pipeline = 'outage'"
                     + " ORDER BY e.xid, e.sequence");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                log.add(rs.getLong(1));
                executionOf.put(rs.getLong(1), rs.getObject(2, UUID.class));
            }
        }
        long last = log.get(log.size() - 1);
        Eventually.await(Duration.ofSeconds(30), "the watcher reaches the end of the log", () -> {
            // A stream that ended otherwise than UNAVAILABLE is not resumed: say how, at once.
            assertEquals(Set.of(), watcher.otherEnds(), "the watcher's streams ended otherwise");
            List<Long> seen = watcher.sequences();
            return !seen.isEmpty() && seen.get(seen.size() - 1) == last;
        });
        watcher.stop();
        List<Long> seen = watcher.sequences();
        assertEquals(log.subList(log.indexOf(seen.get(0)), log.size()), seen, "in log order, each event once");
        Set<UUID> watched = seen.stream().map(executionOf::get).collect(Collectors.toSet());
        assertTrue(watched.containsAll(acknowledged), "the watcher saw every Run answered OK");
        assertEquals(Set.of(), watcher.otherEnds(), "watch streams end only with UNAVAILABLE");
        assertTrue(watcher.endedWithResumePoint.get() >= 1, "the outage ended the live stream with its resume point");
    }

    /** WatchExecutions on the pipeline that, whenever its stream ends with UNAVAILABLE, resumes after its last event. */
    private static final class ResumingWatcher {
        private final TestServer server;
        /** Appended once per event: a CopyOnWriteArrayList copied itself per event and, thousands of
         *  events in, made this watcher slow enough for the server to end it as too slow. */
        private final List<Long> sequences = Collections.synchronizedList(new ArrayList<>());
        private final Set<String> otherEnds = ConcurrentHashMap.newKeySet();
        private final AtomicLong unavailableEnds = new AtomicLong();
        private final AtomicLong endedWithResumePoint = new AtomicLong();
        private volatile boolean stopped;
        private volatile ClientCallStreamObserver<WatchExecutionsRequest> call;

        ResumingWatcher(TestServer server) {
            this.server = server;
            open();
        }

        private void open() {
            long after = last();
            ExecutionServiceGrpc.newStub(server.channel()).watchExecutions(WatchExecutionsRequest.newBuilder()
                    .setFilter(ExecutionFilter.newBuilder().addPipelines("outage")).setAfterSequence(after).build(),
                    new ClientResponseObserver<WatchExecutionsRequest, WatchExecutionsResponse>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<WatchExecutionsRequest> requestStream) {
                            call = requestStream;
                        }

                        @Override
                        public void onNext(WatchExecutionsResponse value) {
                            sequences.add(value.getEvent().getSequence());
                        }

                        @Override
                        public void onError(Throwable t) {
                            Status status = Status.fromThrowable(t);
                            if (stopped) {
                                return;
                            }
                            if (status.getCode() != Status.Code.UNAVAILABLE || sequences.isEmpty()) {
                                otherEnds.add(status.toString()); // and stop: the assertions report it
                                return;
                            }
                            unavailableEnds.incrementAndGet();
                            long last = last();
                            Errors.errorInfo((StatusRuntimeException) t)
                                    .filter(info -> info.getReason().equals("DATABASE_UNAVAILABLE")
                                            && info.containsMetadata("after_sequence"))
                                    .ifPresent(info -> {
                                        if (info.getMetadataOrThrow("after_sequence").equals(Long.toString(last))
                                                && status.getDescription().contains("after_sequence=" + last)) {
                                            endedWithResumePoint.incrementAndGet();
                                        } else {
                                            otherEnds.add("wrong resume point, last " + last + ": " + info);
                                        }
                                    });
                            CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS).execute(() -> open());
                        }

                        @Override
                        public void onCompleted() {
                            otherEnds.add("completed");
                        }
                    });
        }

        List<Long> sequences() {
            synchronized (sequences) {
                return List.copyOf(sequences);
            }
        }

        /** The sequence of the last event received; 0 before the first. */
        private long last() {
            synchronized (sequences) {
                return sequences.isEmpty() ? 0 : sequences.get(sequences.size() - 1);
            }
        }

        Set<String> otherEnds() {
            return Set.copyOf(otherEnds);
        }

        void stop() {
            stopped = true;
            call.cancel("test done", null);
        }
    }
}
