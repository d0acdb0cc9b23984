package dev.runplane.server.workers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResponse;
import dev.runplane.worker.Worker;
import io.grpc.stub.StreamObserver;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two server replicas on one database, eight workers (the Java worker library, four on each
 * replica), {@link #EXECUTIONS} executions: each runs exactly once, never on two workers at the same
 * time, and none is lost — checked in the workers and again in the durable event log.
 */
class ClusterTest {

    static final int EXECUTIONS = 10_000;
    static final int WORKERS = 8;

    @Test
    void twoReplicasAndEightWorkersRunEveryExecutionExactlyOnce() throws Exception {
        DatabaseAddress database = TestPostgres.newDatabase();
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        Set<String> inFlight = ConcurrentHashMap.newKeySet();
        AtomicReference<String> overlap = new AtomicReference<>();
        List<Worker> workers = new ArrayList<>();
        try (TestServer a = TestServer.start(database, WorkerServiceTest.FAST);
             TestServer b = TestServer.start(database, WorkerServiceTest.FAST)) {
            for (int i = 0; i < WORKERS; i++) {
                TestServer replica = i % 2 == 0 ? a : b;
                workers.add(Worker.builder(replica.channel()).workerId("worker-" + i)
                        .maxWait(Duration.ofSeconds(2))
                        .handle("cluster", task -> {
                            if (!inFlight.add(task.id())) {
                                overlap.compareAndSet(null, task.id());
                            }
                            runs.computeIfAbsent(task.id(), id -> new AtomicInteger()).incrementAndGet();
                            inFlight.remove(task.id());
                            return Struct.newBuilder().putFields("worker", Value.newBuilder()
                                    .setStringValue(Thread.currentThread().getName()).build()).build();
                        }).build().start());
            }
            submit(a, b);
            Eventually.await(Duration.ofSeconds(120), "all executions succeed in time", () -> succeeded(database),
                    n -> n >= EXECUTIONS);
            workers.forEach(Worker::close);
        }
        assertNull(overlap.get(), "an execution ran on two workers at the same time");
        assertEquals(EXECUTIONS, runs.size(), "every execution ran");
        assertTrue(runs.values().stream().allMatch(n -> n.get() == 1), "each exactly once");
        try (Connection c = TestPostgres.jdbc(database); Statement s = c.createStatement()) {
            ResultSet perExecution = s.executeQuery("""
                    SELECT count(*) FILTER (WHERE claims = 1 AND successes = 1 AND events = 3) AS clean, count(*) AS total
                    FROM (SELECT execution_id,
                                 count(*) FILTER (WHERE to_status = 'RUNNING') AS claims,
                                 count(*) FILTER (WHERE to_status = 'SUCCEEDED') AS successes,
                                 count(*) AS events
                          FROM execution_events GROUP BY execution_id) x
                    """);
            perExecution.next();
            assertEquals(EXECUTIONS, perExecution.getLong("total"));
            assertEquals(EXECUTIONS, perExecution.getLong("clean"), "QUEUED, RUNNING once, SUCCEEDED once");
        }
    }

    /** Runs through both replicas, 64 calls in flight. */
    private static void submit(TestServer a, TestServer b) throws InterruptedException {
        Semaphore inFlight = new Semaphore(64);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < EXECUTIONS; i++) {
            inFlight.acquire();
            ExecutionServiceGrpc.ExecutionServiceStub stub =
                    ExecutionServiceGrpc.newStub((i % 2 == 0 ? a : b).channel());
            stub.run(RunRequest.newBuilder().setPipeline("cluster").build(), new StreamObserver<>() {
                @Override
                public void onNext(RunResponse value) {
                }

                @Override
                public void onError(Throwable t) {
                    failure.compareAndSet(null, t);
                    inFlight.release();
                }

                @Override
                public void onCompleted() {
                    inFlight.release();
                }
            });
        }
        inFlight.acquire(64);
        assertNull(failure.get(), "every Run was accepted");
    }

    private static long succeeded(DatabaseAddress database) throws Exception {
        try (Connection c = TestPostgres.jdbc(database); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM executions WHERE status = 'SUCCEEDED'")) {
            r.next();
            return r.getLong(1);
        }
    }
}
