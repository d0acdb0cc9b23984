package dev.runplane.server.operations;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.rpc.ErrorInfo;
import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.ServerProcess;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResponse;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SIGTERM to a real server process while Runs are in flight, with a second replica to move to. */
class GracefulShutdownTest {

    @TempDir
    Path dir;

    @Test
    void sigtermDuringInFlightRunsLosesNothingAndClientsMoveToTheOtherReplica() throws Exception {
        DatabaseAddress database = TestPostgres.newDatabase();
        ServerProcess server = ServerProcess.start(dir.resolve("server.log"),
                "--port", "0", "--database-url", TestPostgres.url(database), "--drain-time", "10s");
        Process process = server.process();
        try (TestServer other = TestServer.start(database)) {
            int port = server.awaitPort();
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            List<String> healthSeen = new CopyOnWriteArrayList<>();
            AtomicBoolean healthStreamEnded = new AtomicBoolean();
            HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
                @Override
                public void onNext(HealthCheckResponse value) {
                    healthSeen.add(value.getStatus().name());
                }

                @Override
                public void onError(Throwable t) {
                    healthStreamEnded.set(true);
                }

                @Override
                public void onCompleted() {
                    healthStreamEnded.set(true);
                }
            });
            Eventually.await(Duration.ofSeconds(10), "the health stream is open", () -> !healthSeen.isEmpty());
            // 50 watch streams on the replica that will stop; each has seen a first event (its resume point).
            List<StreamRecorder<WatchExecutionsResponse>> watchers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                StreamRecorder<WatchExecutionsResponse> watcher = new StreamRecorder<>();
                ExecutionServiceGrpc.newStub(channel).watchExecutions(WatchExecutionsRequest.newBuilder()
                        .setFilter(ExecutionFilter.newBuilder().addPipelines("deploy")).build(), watcher);
                watchers.add(watcher);
            }
            ExecutionServiceGrpc.ExecutionServiceBlockingStub blocking = ExecutionServiceGrpc.newBlockingStub(channel);
            List<String> stored = new ArrayList<>();
            // The watchers joined asynchronously: Run until every one has seen an event.
            for (int i = 0; watchers.stream().anyMatch(w -> w.values().isEmpty()); i++) {
                assertTrue(i < 30, "every watcher receives events");
                stored.add(blocking.run(RunRequest.newBuilder().setPipeline("deploy").build()).getExecution().getId());
                // Up to 1 s for this Run's event; a watcher that joined late sees the next Run.
                Eventually.within(Duration.ofSeconds(1), () -> watchers.stream().noneMatch(w -> w.values().isEmpty()));
            }
            List<ListenableFuture<RunResponse>> runs = new ArrayList<>();
            ExecutionServiceGrpc.ExecutionServiceFutureStub stub = ExecutionServiceGrpc.newFutureStub(channel);
            for (int i = 0; i < 200; i++) {
                runs.add(stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                        .run(RunRequest.newBuilder().setPipeline("deploy").setRequestId(UUID.randomUUID().toString())
                                .build()));
                if (i == 100) {
                    process.destroy(); // SIGTERM, with 100 Runs in flight and 100 more to come
                }
            }
            int warmUp = stored.size();
            List<RunRequest> toRetry = new ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                try {
                    stored.add(runs.get(i).get(60, TimeUnit.SECONDS).getExecution().getId());
                } catch (ExecutionException e) {
                    Status status = Status.fromThrowable(e.getCause());
                    assertEquals(Status.Code.UNAVAILABLE, status.getCode(), "retryable: " + status);
                    toRetry.add(RunRequest.newBuilder().setPipeline("deploy").build());
                }
            }
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the server stopped");
            assertEquals(0, process.exitValue());
            // The clients that were refused move to the other replica.
            for (RunRequest retry : toRetry) {
                stored.add(other.executions().run(retry).getExecution().getId());
            }
            try (Connection c = TestPostgres.jdbc(database);
                 PreparedStatement s = c.prepareStatement("SELECT count(*) FROM executions WHERE id = ANY (?)")) {
                s.setArray(1, c.createArrayOf("uuid", stored.stream().map(UUID::fromString).toArray()));
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    assertEquals(200 + warmUp, rs.getInt(1), "every Run answered OK is stored");
                }
            }
            watchersResumeOnTheOtherReplicaWithoutGaps(watchers, other, database);
            Eventually.await(Duration.ofSeconds(10), "the health stream ended", healthStreamEnded::get);
            assertEquals("SERVING", healthSeen.get(0));
            assertTrue(healthSeen.contains("NOT_SERVING"), "health went NOT_SERVING before the end: " + healthSeen);
            String text = server.log();
            assertTrue(text.indexOf("Stopping: health NOT_SERVING") < text.indexOf("Runplane stopped"), text);
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void secondSigtermCutsTheDrainShort() throws Exception {
        DatabaseAddress database = TestPostgres.newDatabase();
        ServerProcess server = ServerProcess.start(dir.resolve("server2.log"),
                "--port", "0", "--database-url", TestPostgres.url(database), "--drain-time", "120s");
        Process process = server.process();
        try {
            int port = server.awaitPort();
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            List<String> healthSeen = new CopyOnWriteArrayList<>();
            // An open stream keeps the drain going until the drain time ends (120 s here).
            HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
                @Override
                public void onNext(HealthCheckResponse value) {
                    healthSeen.add(value.getStatus().name());
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            });
            Eventually.await(Duration.ofSeconds(10), "the stream is open", () -> !healthSeen.isEmpty());
            process.destroy(); // first SIGTERM: graceful
            Eventually.await(Duration.ofSeconds(10), "the drain began", () -> healthSeen.contains("NOT_SERVING"));
            assertTrue(process.isAlive(), "still draining");
            process.destroy(); // second SIGTERM: at once
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stopped long before the 120 s drain time");
            String text = server.log();
            assertTrue(text.contains("received again: stopping at once") && text.contains("Runplane stopped"), text);
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void drainingSignalFiresBeforeTheServerStops() {
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0);
        Application app = Application.start(config, OperationsConfig.defaults());
        AtomicBoolean drained = new AtomicBoolean();
        List<Boolean> serverRunningWhenDrained = new ArrayList<>();
        app.operations().draining().doOnTerminate(() -> {
            drained.set(true);
            serverRunningWhenDrained.add(!app.server().isTerminated());
        }).subscribe();
        assertTrue(!drained.get());
        app.close();
        assertTrue(drained.get());
        assertEquals(List.of(true), serverRunningWhenDrained, "streams hear it while the server still runs");
    }

    /**
     * Every watcher ended with UNAVAILABLE and its resume point; resumed there on the other replica, its
     * history before + after is exactly the pipeline's log from its first event on: no gap, no duplicate.
     */
    private static void watchersResumeOnTheOtherReplicaWithoutGaps(
            List<StreamRecorder<WatchExecutionsResponse>> watchers, TestServer other, DatabaseAddress database)
            throws Exception {
        List<Long> log = new ArrayList<>();
        try (Connection c = TestPostgres.jdbc(database);
             PreparedStatement s = c.prepareStatement("SELECT e.sequence FROM execution_events e"
                     + " JOIN executions x ON x.id = e.execution_id WHERE x.pipeline = 'deploy'"
                     + " ORDER BY e.xid, e.sequence")) {
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    log.add(rs.getLong(1));
                }
            }
        }
        List<StreamRecorder<WatchExecutionsResponse>> resumed = new ArrayList<>();
        for (StreamRecorder<WatchExecutionsResponse> watcher : watchers) {
            Throwable end = watcher.awaitEnd(Duration.ofSeconds(30));
            assertTrue(end instanceof StatusRuntimeException, "a watcher ends with an error: " + end);
            Status status = Status.fromThrowable(end);
            assertEquals(Status.Code.UNAVAILABLE, status.getCode(), "a watcher ends with UNAVAILABLE: " + status);
            List<WatchExecutionsResponse> before = watcher.values();
            long last = before.get(before.size() - 1).getEvent().getSequence();
            ErrorInfo info = Errors.errorInfo((StatusRuntimeException) end)
                    .orElseThrow(() -> new AssertionError("ErrorInfo with the resume point: " + status));
            assertEquals("SERVER_STOPPING", info.getReason());
            assertEquals(Long.toString(last), info.getMetadataOrThrow("after_sequence"), "resume point " + info);
            assertTrue(status.getDescription().contains("after_sequence=" + last), status.getDescription());
            StreamRecorder<WatchExecutionsResponse> after = new StreamRecorder<>();
            ExecutionServiceGrpc.newStub(other.channel()).watchExecutions(WatchExecutionsRequest.newBuilder()
                    .setFilter(ExecutionFilter.newBuilder().addPipelines("deploy"))
                    .setAfterSequence(Long.parseLong(info.getMetadataOrThrow("after_sequence"))).build(), after);
            resumed.add(after);
        }
        for (int i = 0; i < watchers.size(); i++) {
            List<Long> seen = new ArrayList<>(sequences(watchers.get(i).values()));
            long first = seen.get(0);
            List<Long> expected = log.subList(log.indexOf(first), log.size());
            long last = expected.get(expected.size() - 1);
            seen.addAll(sequences(resumed.get(i).awaitValues(
                    v -> !v.isEmpty() && v.get(v.size() - 1).getEvent().getSequence() == last, Duration.ofSeconds(30))));
            assertEquals(expected, seen, "watcher " + i + ": before + after is the log, gapless, each once");
        }
    }

    private static List<Long> sequences(List<WatchExecutionsResponse> values) {
        return values.stream().map(r -> r.getEvent().getSequence()).toList();
    }
}
