package dev.runplane.bench;

import com.google.protobuf.util.Durations;
import dev.runplane.server.Application;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.AwaitExecutionRequest;
import dev.runplane.v1.AwaitExecutionResponse;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.CompleteResponse;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * AwaitExecution at scale, through real Netty ports: two replicas on one embedded PostgreSQL (fsync
 * on). N executions are queued and claimed through replica B; N AwaitExecution calls (5 min timeout)
 * are opened on replica A over one channel per 150 awaits; the database connections are counted (pg_stat_activity,
 * by application_name; both replicas use the same names) before and while they are open; then
 * replica B completes the executions at a steady rate. Latency per await = from the moment B's
 * Complete answer arrives (the terminal commit is done) to the moment the await's answer arrives on
 * the client, clamped at 0 when the answer comes first. The clients share the JVM and the cores.
 *
 * <p>Usage: {@code bench/run AwaitBenchmark [awaits=10000] [completesPerSecond=500]}
 */
public final class AwaitBenchmark {

    /**
     * Awaits per client connection: the server accepts 200 concurrent calls per connection
     * (TransportLimits.maxConcurrentCallsPerConnection), so 10,000 awaits come from many clients, as
     * they would in production; more per connection would queue in the client, not reach the server.
     */
    private static final int AWAITS_PER_CHANNEL = 150;

    private AwaitBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int awaits = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        Path dataDir = Files.createTempDirectory("runplane-await-bench");
        try (Application a = Application.start(ServerConfig.defaults().withDataDir(dataDir).withPort(0))) {
            DatabaseAddress db = a.database().address();
            String url = "r2dbc:postgresql://" + db.user() + (db.password().isEmpty() ? "" : ":" + db.password())
                    + "@" + db.host() + ":" + db.port() + "/" + db.database();
            try (Application b = Application.start(ServerConfig.defaults().withDatabaseUrl(url).withPort(0));
                 Connection jdbc = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                 Statement sql = jdbc.createStatement()) {
                System.out.printf("AwaitBenchmark: %d awaits on replica A, completed through replica B at %d/s;"
                        + " embedded PostgreSQL (fsync on)%n", awaits, rate);
                measure(a, b, sql, awaits, rate);
            }
        }
    }

    private static void measure(Application a, Application b, Statement sql, int count, int rate) throws Exception {
        ManagedChannel toB = NettyChannelBuilder.forAddress("127.0.0.1", b.port()).usePlaintext().build();
        List<ManagedChannel> toA = new ArrayList<>();
        int channels = Math.max(1, (count + AWAITS_PER_CHANNEL - 1) / AWAITS_PER_CHANNEL);
        for (int i = 0; i < channels; i++) {
            toA.add(NettyChannelBuilder.forAddress("127.0.0.1", a.port()).usePlaintext().build());
        }
        try {
            // Queue and claim everything first (through B), so that the timed phase is Completes only.
            String pipeline = "await-bench";
            var runs = ExecutionServiceGrpc.newBlockingStub(toB);
            for (int done = 0; done < count; done += 100) {
                RunBatchRequest.Builder batch = RunBatchRequest.newBuilder();
                for (int i = done; i < Math.min(count, done + 100); i++) {
                    batch.addRuns(RunRequest.newBuilder().setPipeline(pipeline));
                }
                runs.runBatch(batch.build());
            }
            List<Assignment> claimed = new ArrayList<>();
            var worker = WorkerServiceGrpc.newBlockingStub(toB);
            while (claimed.size() < count) {
                claimed.addAll(worker.poll(PollRequest.newBuilder().setWorkerId("bench").addPipelines(pipeline)
                        .setMaxExecutions(100).setLeaseDuration(Durations.fromSeconds(3600))
                        .setMaxWait(Durations.fromSeconds(5)).build()).getAssignmentsList());
            }
            Map<String, Long> before = DatabaseConnections.count(sql);

            // Open the awaits on A; sample the connections while their first reads drain.
            Map<String, Long> answeredAt = new ConcurrentHashMap<>();
            AtomicInteger done = new AtomicInteger();
            AtomicInteger notDone = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            for (int i = 0; i < count; i++) {
                String id = claimed.get(i).getExecution().getId();
                ExecutionServiceGrpc.newStub(toA.get(i % channels)).withDeadlineAfter(6, TimeUnit.MINUTES)
                        .awaitExecution(AwaitExecutionRequest.newBuilder().setId(id)
                                .setTimeout(Durations.fromSeconds(300)).build(), new StreamObserver<>() {
                            @Override
                            public void onNext(AwaitExecutionResponse answer) {
                                answeredAt.put(id, System.nanoTime());
                                (answer.getDone() ? done : notDone).incrementAndGet();
                            }

                            @Override
                            public void onError(Throwable t) {
                                if (failed.incrementAndGet() <= 5) {
                                    System.err.println("await failed: " + t);
                                }
                            }

                            @Override
                            public void onCompleted() {
                            }
                        });
            }
            Map<String, Long> most = new TreeMap<>();
            long openDeadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (a.eventHub().watchers() < count && System.nanoTime() < openDeadline) {
                DatabaseConnections.keepMost(most, DatabaseConnections.count(sql));
                TimeUnit.MILLISECONDS.sleep(50);
            }
            // The first reads pass the gate after the join: until A's pool has been idle for 500 ms
            // (else the Completes would queue behind them and the latency would measure that queue).
            int idleSamples = 0;
            while (idleSamples < 10 && System.nanoTime() < openDeadline) {
                DatabaseConnections.keepMost(most, DatabaseConnections.count(sql));
                idleSamples = a.database().pool().getMetrics().orElseThrow().acquiredSize() == 0 ? idleSamples + 1 : 0;
                TimeUnit.MILLISECONDS.sleep(50);
            }
            Map<String, Long> open = DatabaseConnections.count(sql);
            System.out.printf("awaits joined on A: %d of %d; answered before any Complete: %d%n",
                    a.eventHub().watchers(), count, answeredAt.size());
            System.out.printf("connections before: %s%n", DatabaseConnections.total(before));
            System.out.printf("connections with the awaits open: %s (most seen while opening: %s)%n", DatabaseConnections.total(open),
                    DatabaseConnections.total(most));
            System.out.printf("replica A's main pool: %d allocated, %d acquired%n",
                    a.database().pool().getMetrics().orElseThrow().allocatedSize(),
                    a.database().pool().getMetrics().orElseThrow().acquiredSize());

            // Complete through B at a steady rate; the Complete's answer is the commit's time.
            Map<String, Long> committedAt = new ConcurrentHashMap<>();
            AtomicLong completeErrors = new AtomicLong();
            var completes = WorkerServiceGrpc.newStub(toB);
            long interval = TimeUnit.SECONDS.toNanos(1) / rate;
            long next = System.nanoTime();
            for (Assignment assignment : claimed) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                next += interval;
                String id = assignment.getExecution().getId();
                completes.complete(CompleteRequest.newBuilder().setLease(assignment.getLease()).build(),
                        new StreamObserver<>() {
                            @Override
                            public void onNext(CompleteResponse value) {
                                committedAt.put(id, System.nanoTime());
                            }

                            @Override
                            public void onError(Throwable t) {
                                completeErrors.incrementAndGet();
                            }

                            @Override
                            public void onCompleted() {
                            }
                        });
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (done.get() + notDone.get() + failed.get() < count && System.nanoTime() < end) {
                TimeUnit.MILLISECONDS.sleep(10);
            }
            List<Long> latencies = new ArrayList<>();
            for (Map.Entry<String, Long> committed : committedAt.entrySet()) {
                Long answered = answeredAt.get(committed.getKey());
                if (answered != null) {
                    latencies.add(Math.max(0, answered - committed.getValue()));
                }
            }
            latencies.sort(null);
            System.out.printf("answered: %d done, %d not done, %d failed, of %d (Complete errors: %d)%n",
                    done.get(), notDone.get(), failed.get(), count, completeErrors.get());
            System.out.printf("%9s %9s %12s %12s %12s%n", "awaits", "rate/s", "p50 ms", "p99 ms", "max ms");
            System.out.printf("%9d %9d %12.2f %12.2f %12.2f%n", count, rate, Figures.millis(latencies, 0.50),
                    Figures.millis(latencies, 0.99), latencies.isEmpty() ? 0 : latencies.get(latencies.size() - 1) / 1e6);
        } finally {
            for (ManagedChannel channel : toA) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            toB.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
