package dev.runplane.bench;

import dev.runplane.server.Application;
import dev.runplane.server.ServerConfig;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * WatchExecutions with {@code snapshot}: how long a dashboard waits for its list and for the join
 * (issue 19), through a real Netty port, while a writer commits Runs of the watched pipeline.
 *
 * <p>Seeds {@code matching} executions of the watched pipeline and {@code others} of another, then
 * opens {@code streams} snapshot streams, {@code concurrent} at a time. Per stream: time to the
 * first row, to the last row, and to snapshot_complete; "join" is snapshot_complete minus the last
 * row (the wait for the hub to pass the statement's xmax, and the events sorted out meanwhile).
 *
 * <p>Usage: {@code bench/run SnapshotBenchmark [matching=10000] [others=50000] [streams=20] [concurrent=4]
 * [writeRate=100]}
 */
public final class SnapshotBenchmark {

    private SnapshotBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int matching = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int others = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
        int streams = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int concurrent = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        int writeRate = args.length > 4 ? Integer.parseInt(args[4]) : 100;
        Path dataDir = Files.createTempDirectory("runplane-snapshot-bench");
        ServerConfig config = ServerConfig.defaults().withDataDir(dataDir).withPort(0);
        try (Application app = Application.start(config)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext()
                    .maxInboundMessageSize(4 << 20).build();
            try {
                seed(channel, "dashboard", matching);
                seed(channel, "elsewhere", others);
                System.out.printf("SnapshotBenchmark: %d matching of %d executions, %d streams (%d at a time),"
                        + " %d Runs/s of the watched pipeline meanwhile%n", matching, matching + others, streams,
                        concurrent, writeRate);
                measure(channel, streams, concurrent, writeRate);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void seed(ManagedChannel channel, String pipeline, int count) {
        var stub = ExecutionServiceGrpc.newBlockingStub(channel);
        for (int done = 0; done < count; done += 100) {
            RunBatchRequest.Builder batch = RunBatchRequest.newBuilder();
            for (int i = done; i < Math.min(count, done + 100); i++) {
                batch.addRuns(RunRequest.newBuilder().setPipeline(pipeline).putLabels("n", Integer.toString(i)));
            }
            stub.runBatch(batch.build());
        }
    }

    private static void measure(ManagedChannel channel, int streams, int concurrent, int writeRate)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(concurrent + 1);
        Future<?> writer = pool.submit(() -> {
            var stub = ExecutionServiceGrpc.newBlockingStub(channel);
            long interval = TimeUnit.SECONDS.toNanos(1) / Math.max(1, writeRate);
            long next = System.nanoTime();
            while (!stop.get()) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait); // the writer's pace
                }
                next += interval;
                stub.run(RunRequest.newBuilder().setPipeline("dashboard").build());
            }
            return null;
        });
        List<long[]> results = Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> runs = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            runs.add(pool.submit(() -> {
                results.add(oneSnapshot(channel));
                return null;
            }));
        }
        for (Future<?> run : runs) {
            run.get(10, TimeUnit.MINUTES);
        }
        stop.set(true);
        writer.get(1, TimeUnit.MINUTES);
        pool.shutdown();
        System.out.printf("%10s %12s %12s %12s %12s %10s%n", "", "first row", "last row", "complete", "join",
                "rows");
        for (double p : new double[] {0.50, 0.99}) {
            System.out.printf("%10s %12.1f %12.1f %12.1f %12.2f %10d%n", "p" + (int) (p * 100) + " ms",
                    percentile(results, 0, p), percentile(results, 1, p), percentile(results, 2, p),
                    percentile(results, 3, p), results.get(0)[4]);
        }
    }

    /** Nanoseconds to the first row, the last row, snapshot_complete, the join; and the rows received. */
    private static long[] oneSnapshot(ManagedChannel channel) throws Exception {
        long start = System.nanoTime();
        long[] times = new long[5];
        CompletableFuture<Void> complete = new CompletableFuture<>();
        Context.CancellableContext context = Context.current().withCancellation();
        context.run(() -> ExecutionServiceGrpc.newStub(channel).watchExecutions(WatchExecutionsRequest.newBuilder()
                .setFilter(ExecutionFilter.newBuilder().addPipelines("dashboard")).setSnapshot(true).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(WatchExecutionsResponse value) {
                        long now = System.nanoTime() - start;
                        if (value.hasSnapshot()) {
                            if (times[4]++ == 0) {
                                times[0] = now;
                            }
                            times[1] = now;
                        } else if (value.hasSnapshotComplete()) {
                            times[2] = now;
                            times[3] = now - times[1];
                            complete.complete(null);
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        complete.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                }));
        try {
            complete.get(5, TimeUnit.MINUTES);
        } finally {
            context.cancel(null);
        }
        return times;
    }

    private static double percentile(List<long[]> results, int column, double p) {
        List<Long> sorted = new ArrayList<>();
        synchronized (results) {
            results.forEach(r -> sorted.add(r[column]));
        }
        sorted.sort(null);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1)) / 1e6;
    }
}
