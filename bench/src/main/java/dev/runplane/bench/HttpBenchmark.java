package dev.runplane.bench;

import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.http.HttpConfig;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP face (issue 20) on one replica, through real ports.
 *
 * <p>Part 1, SSE fan-out: N Server-Sent Events clients (java.net.http, HTTP/1.1, one connection
 * each) follow WatchExecutions of one pipeline. The database connections are counted
 * (pg_stat_activity) before the clients connect and with all of them open. Runs are then paced over
 * gRPC below the fan-out capacity; latency is from the arrival of a Run's answer (its commit is done)
 * to the arrival of its event at an SSE client (0 when the event came first), over every client.
 *
 * <p>Part 2, unary throughput: the same number of Runs over gRPC (Netty) and over Connect JSON
 * (java.net.http, HTTP/1.1 keep-alive), each with 16 in flight, gRPC first then Connect then gRPC
 * again, in one run; Runs per second for each.
 *
 * <p>Usage: {@code bench/run HttpBenchmark [sseClients=1000] [pacedRuns=200] [unaryRuns=5000]}
 */
public final class HttpBenchmark {

    private static final int IN_FLIGHT = 16;

    private HttpBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int pacedRuns = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int unaryRuns = args.length > 2 ? Integer.parseInt(args[2]) : 5000;
        Path dataDir = Files.createTempDirectory("runplane-http-bench");
        ServerConfig config = ServerConfig.defaults().withDataDir(dataDir).withPort(0);
        try (Application app = Application.start(config, OperationsConfig.defaults().withHttp(HttpConfig.onPort(0)))) {
            DatabaseAddress db = app.database().address();
            System.out.printf("HttpBenchmark: %d SSE clients, %d paced Runs; %d unary Runs per transport;"
                    + " embedded PostgreSQL (fsync on)%n", clients, pacedRuns, unaryRuns);
            ManagedChannel grpc = NettyChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
            try (Connection jdbc = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                 Statement sql = jdbc.createStatement()) {
                URI http = URI.create("http://127.0.0.1:" + app.httpPort());
                sse(app, grpc, http, sql, clients, pacedRuns);
                unary(grpc, http, unaryRuns);
            } finally {
                grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void sse(Application app, ManagedChannel grpc, URI http, Statement sql, int count, int pacedRuns)
            throws Exception {
        String pipeline = "http-bench";
        Map<String, Long> before = DatabaseConnections.count(sql);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String message = URLEncoder.encode("{\"filter\":{\"pipelines\":[\"" + pipeline + "\"]}}", StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(http.resolve("/runplane.v1.ExecutionService/WatchExecutions"
                + "?encoding=json&message=" + message)).header("Accept", "text/event-stream").GET().build();
        List<SseReader> readers = new ArrayList<>();
        List<CompletableFuture<HttpResponse<Void>>> responses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SseReader reader = new SseReader(pacedRuns + 1000);
            readers.add(reader);
            responses.add(client.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(reader)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (app.eventHub().watchers() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(app.eventHub().watchers() + " of " + count + " SSE clients connected");
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        Map<String, Long> open = DatabaseConnections.count(sql);
        var writer = ExecutionServiceGrpc.newBlockingStub(grpc);
        RunRequest run = RunRequest.newBuilder().setPipeline(pipeline).build();
        // Paced below the fan-out capacity (otherwise it measures a queue): at most 100 Runs/s and at
        // most 20,000 deliveries/s over all clients.
        int runsPerSecond = Math.max(1, Math.min(100, 20_000 / count));
        long interval = TimeUnit.SECONDS.toNanos(1) / runsPerSecond;
        Map<String, Long> committedAt = new ConcurrentHashMap<>();
        long next = System.nanoTime();
        for (int i = 0; i < pacedRuns; i++) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            next += interval;
            RunResponse response = writer.run(run);
            committedAt.put(response.getExecution().getId(), System.nanoTime());
        }
        for (SseReader reader : readers) {
            reader.await(pacedRuns);
        }
        List<Long> latencies = new ArrayList<>();
        for (SseReader reader : readers) {
            for (int i = 0; i < reader.received.get() && i < reader.ids.length; i++) {
                Long committed = committedAt.get(reader.ids[i]);
                if (committed != null) {
                    latencies.add(Math.max(0, reader.times[i] - committed));
                }
            }
        }
        latencies.sort(null);
        System.out.printf("SSE: %d clients, %d Runs/s paced; commit-to-delivery p50 %.2f ms, p99 %.2f ms, max %.2f ms"
                        + " (%d deliveries)%n", count, runsPerSecond, Figures.millis(latencies, 0.50),
                Figures.millis(latencies, 0.99), latencies.isEmpty() ? 0 : latencies.get(latencies.size() - 1) / 1e6,
                latencies.size());
        System.out.printf("database connections before the clients: %s%n", DatabaseConnections.total(before));
        System.out.printf("database connections with %d SSE clients open: %s%n", count, DatabaseConnections.total(open));
        readers.forEach(SseReader::cancel);
        responses.forEach(r -> r.cancel(true));
    }

    private static void unary(ManagedChannel grpc, URI http, int count) throws Exception {
        var async = ExecutionServiceGrpc.newStub(grpc);
        RunRequest run = RunRequest.newBuilder().setPipeline("http-bench-unary").build();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest connect = HttpRequest.newBuilder(http.resolve("/runplane.v1.ExecutionService/Run"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("{\"pipeline\":\"http-bench-unary\"}")).build();
        for (String transport : List.of("gRPC", "Connect JSON", "gRPC")) {
            Semaphore inFlight = new Semaphore(IN_FLIGHT);
            AtomicInteger failed = new AtomicInteger();
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                inFlight.acquire();
                if (transport.equals("gRPC")) {
                    async.run(run, new StreamObserver<>() {
                        public void onNext(RunResponse value) { }
                        public void onError(Throwable t) { failed.incrementAndGet(); inFlight.release(); }
                        public void onCompleted() { inFlight.release(); }
                    });
                } else {
                    client.sendAsync(connect, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
                        if (error != null || response.statusCode() != 200) {
                            failed.incrementAndGet();
                        }
                        inFlight.release();
                    });
                }
            }
            inFlight.acquire(IN_FLIGHT);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("unary Run over %-12s %8.0f Runs/s (%d in flight, %d failed)%n", transport,
                    count / seconds, IN_FLIGHT, failed.get());
        }
    }

    /** One SSE client: each event's execution id and arrival time, from its data line. */
    private static final class SseReader implements Flow.Subscriber<String> {
        private static final String ID = "\"executionId\":\"";
        final String[] ids;
        final long[] times;
        final AtomicInteger received = new AtomicInteger();
        private volatile Flow.Subscription subscription;

        SseReader(int capacity) {
            ids = new String[capacity];
            times = new long[capacity];
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            if (!line.startsWith("data: ")) {
                return;
            }
            long now = System.nanoTime();
            int at = line.indexOf(ID);
            if (at < 0) {
                return;
            }
            int i = received.getAndIncrement();
            if (i < ids.length) {
                ids[i] = line.substring(at + ID.length(), line.indexOf('"', at + ID.length()));
                times[i] = now;
            }
        }

        void await(int count) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (received.get() < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("an SSE client received " + received.get() + " of " + count);
                }
                TimeUnit.MILLISECONDS.sleep(2);
            }
        }

        void cancel() {
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }

        @Override
        public void onError(Throwable throwable) {
        }

        @Override
        public void onComplete() {
        }
    }
}
