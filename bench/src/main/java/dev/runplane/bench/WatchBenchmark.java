package dev.runplane.bench;

import dev.runplane.server.Application;
import dev.runplane.server.ServerConfig;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResponse;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Commit-to-delivery latency and fan-out of the live streams, through real Netty ports.
 *
 * <p>For each watcher count: that many WatchExecutions streams (spread over several channels) follow
 * one pipeline. Phase 1 paces Runs at a fixed rate; latency is from the moment a Run's answer
 * arrives (its transaction has committed) to the moment a watcher receives the event, clamped at 0
 * when the event arrives first. Phase 2 sends a burst as fast as 16 callers can and reports
 * delivered events per second over all watchers.
 *
 * <p>Usage: {@code bench/run WatchBenchmark [watcherCounts=1,100,1000] [pacedRuns=300] [ratePerSecond=0 (auto)] [burstRuns=2000]}
 */
public final class WatchBenchmark {

    private WatchBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int[] watcherCounts = Arrays.stream((args.length > 0 ? args[0] : "1,100,1000").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int pacedRuns = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 0; // 0: 20,000 deliveries/s at most (see measure)
        int burstRuns = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
        Path dataDir = Files.createTempDirectory("runplane-watch-bench");
        ServerConfig config = ServerConfig.defaults().withDataDir(dataDir).withPort(0);
        try (Application app = Application.start(config)) {
            System.out.printf("WatchBenchmark: %d paced Runs, then a burst of %d Runs; embedded PostgreSQL (fsync on)%n",
                    pacedRuns, burstRuns);
            System.out.printf("%9s %9s %12s %12s %12s %14s%n", "watchers", "runs/s", "p50 ms", "p99 ms", "max ms",
                    "fan-out ev/s");
            for (int watchers : watcherCounts) {
                measure(app.port(), watchers, pacedRuns, rate, burstRuns);
            }
        }
    }

    private static void measure(int port, int watcherCount, int pacedRuns, int rate, int burstRuns)
            throws Exception {
        String pipeline = "bench-" + watcherCount;
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < Math.max(1, Math.min(10, watcherCount / 100)); i++) {
            channels.add(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build());
        }
        ManagedChannel writerChannel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        Map<String, Long> committedAt = new ConcurrentHashMap<>();
        List<Watcher> watchers = new ArrayList<>();
        try {
            for (int i = 0; i < watcherCount; i++) {
                Watcher watcher = new Watcher(pacedRuns + burstRuns);
                ExecutionServiceGrpc.newStub(channels.get(i % channels.size())).watchExecutions(
                        WatchExecutionsRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().addPipelines(pipeline))
                                .build(), watcher);
                watchers.add(watcher);
            }
            // Streams are live once a first event reaches them: send warm-up Runs until all have one.
            var writer = ExecutionServiceGrpc.newBlockingStub(writerChannel);
            RunRequest request = RunRequest.newBuilder().setPipeline(pipeline).build();
            while (watchers.stream().anyMatch(w -> w.received.get() == 0)) {
                writer.run(request);
                TimeUnit.MILLISECONDS.sleep(50);
            }
            watchers.forEach(Watcher::reset);

            // Phase 1: paced, for latency, below the fan-out capacity (otherwise it measures a queue):
            // by default at most 100 Runs/s and at most 20,000 deliveries/s over all watchers.
            int runsPerSecond = rate > 0 ? rate : Math.max(1, Math.min(100, 20_000 / watcherCount));
            long interval = TimeUnit.SECONDS.toNanos(1) / runsPerSecond;
            long next = System.nanoTime();
            for (int i = 0; i < pacedRuns; i++) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                next += interval;
                RunResponse response = writer.run(request);
                committedAt.put(response.getExecution().getId(), System.nanoTime());
            }
            for (Watcher w : watchers) {
                w.await(pacedRuns);
            }
            List<Long> latencies = new ArrayList<>();
            for (Watcher w : watchers) {
                for (int i = 0; i < pacedRuns; i++) {
                    Long committed = committedAt.get(w.ids[i]);
                    if (committed != null) {
                        latencies.add(Math.max(0, w.times[i] - committed));
                    }
                }
            }
            latencies.sort(null);

            // Phase 2: a burst, for fan-out.
            watchers.forEach(Watcher::reset);
            var async = ExecutionServiceGrpc.newStub(writerChannel);
            Semaphore inFlight = new Semaphore(16);
            long start = System.nanoTime();
            for (int i = 0; i < burstRuns; i++) {
                inFlight.acquire();
                async.run(request, new StreamObserver<>() {
                    public void onNext(RunResponse value) { }
                    public void onError(Throwable t) { inFlight.release(); }
                    public void onCompleted() { inFlight.release(); }
                });
            }
            for (Watcher w : watchers) {
                w.await(burstRuns);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%9d %9d %12.2f %12.2f %12.2f %14.0f%n", watcherCount, runsPerSecond,
                    Figures.millis(latencies, 0.50),
                    Figures.millis(latencies, 0.99), latencies.get(latencies.size() - 1) / 1e6,
                    (double) burstRuns * watcherCount / seconds);
        } finally {
            for (ManagedChannel channel : channels) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            writerChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** One stream: records each event's execution id and arrival time. */
    private static final class Watcher implements StreamObserver<WatchExecutionsResponse> {
        final String[] ids;
        final long[] times;
        final AtomicInteger received = new AtomicInteger();

        Watcher(int capacity) {
            ids = new String[capacity];
            times = new long[capacity];
        }

        synchronized void reset() {
            received.set(0);
        }

        void await(int count) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (received.get() < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("a watcher received " + received.get() + " of " + count);
                }
                TimeUnit.MILLISECONDS.sleep(2);
            }
        }

        @Override
        public synchronized void onNext(WatchExecutionsResponse value) {
            long now = System.nanoTime();
            int i = received.get();
            if (i < ids.length) {
                ids[i] = value.getEvent().getExecutionId();
                times[i] = now;
            }
            received.incrementAndGet();
        }

        @Override
        public void onError(Throwable t) {
            if (!(t instanceof io.grpc.StatusRuntimeException e && e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE)) {
                System.err.println("watch stream failed: " + t); // UNAVAILABLE is our own channel shutdown
            }
        }

        @Override
        public void onCompleted() {
        }
    }
}
