package dev.runplane.bench;

import com.google.protobuf.util.Durations;
import dev.runplane.server.Application;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.store.db.EmbeddedDatabase;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CompleteBatchRequest;
import dev.runplane.v1.CompleteBatchResponse;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.CompleteResult;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.PollResponse;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WorkerServiceGrpc;
import dev.runplane.worker.Worker;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * End to end through real Netty ports: producers Run N executions while W workers (each its own
 * connection) Poll and Complete them, as fast as they can. Each phase runs on an empty database of
 * its own (the peer truncates its table before each run), in one JVM. Prints executions/s from the
 * first Run to the last Complete, and the latency of Polls that claimed work (p50/p99), for 1, 4
 * and 16 workers. Then, on the SAME embedded PostgreSQL (durable: fsync on), the db-scheduler peer
 * (bench/peer-db-scheduler, its lock-and-fetch mode, after an unmeasured warm-up run in its JVM)
 * runs the same count, and the ratio is printed.
 *
 * <pre>bench/run WorkerBenchmark [executions=20000] [producers=8] [claimBatch=1] [peerThreads=16] [workers=1,4,16] [flags]</pre>
 * Flags, comma-separated: {@code batch-complete} makes each worker finish what one Poll claimed
 * with one CompleteBatch call instead of a Complete per execution; {@code no-notify} disables the
 * V1 per-statement NOTIFY trigger (pollers then rely on in-process signals, enough for one
 * replica): it shows what the trigger's commit-time lock costs; {@code stats} loads
 * pg_stat_statements and prints, after each phase, where PostgreSQL spent its time per executed
 * execution; {@code no-peer} skips the peer (to compare variants of Runplane quickly);
 * {@code batch-run} makes the producers submit with RunBatch, 100 Runs per call, and the peer's producers
 * with scheduleBatch, 100 tasks per call (bench/peer-overlay, after an unmeasured warm-up run in
 * its JVM), so that both submit their fastest way; {@code library} runs each worker as a Java
 * library {@code Worker} with {@code claimBatch} slots and a handler that returns at once (its
 * Completes go out together when they finish together). A worker count of 0 is a phase of Runs
 * alone (no workers), which prints the Run rate: the part of the end-to-end cost that Run takes.
 * On Linux every phase and every measured peer run also prints its CPU per execution, PostgreSQL's
 * and the JVM's ({@link ProcessCpu}).
 */
public final class WorkerBenchmark {

    private static final int PEER_RUNS = 2;
    /** Runs per RunBatch call with the batch-run flag (RunBatch's limit), and tasks per peer scheduleBatch. */
    private static final int RUN_BATCH = 100;

    public static void main(String[] args) throws Exception {
        int executions = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int producers = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int claimBatch = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int peerThreads = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        int[] workerCounts = args.length > 4 ? Arrays.stream(args[4].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 4, 16};
        List<String> flags = args.length > 5 ? Arrays.asList(args[5].split(",")) : List.of();
        boolean notify = !flags.contains("no-notify");
        boolean batchComplete = flags.contains("batch-complete");
        int runBatch = flags.contains("batch-run") ? RUN_BATCH : 1;
        boolean library = flags.contains("library");
        boolean stats = flags.contains("stats");
        Path dataDir = Files.createTempDirectory("runplane-worker-bench");
        Map<String, String> settings = stats
                // wal_keep_size: the phase's WAL stays for pg_walinspect to read after it.
                ? Map.of("shared_preload_libraries", "pg_stat_statements", "pg_stat_statements.track_planning", "on",
                        "wal_keep_size", "4GB")
                : Map.of();
        try (EmbeddedDatabase postgres = EmbeddedDatabase.start(dataDir.resolve("pg"), true, settings)) {
            DatabaseAddress address = postgres.address();
            ProcessCpu.Cluster cluster = new ProcessCpu.Cluster(address, postmasterPid(address));
            System.out.printf("WorkerBenchmark: %d executions per run, %d producers (%s), claim batch %d, %s,"
                            + " durable embedded PostgreSQL%n", executions, producers,
                    runBatch > 1 ? "RunBatch of " + runBatch : "one Run per execution", claimBatch,
                    library ? "Java library workers with that many slots"
                            : batchComplete ? "one CompleteBatch per claimed batch" : "one Complete per execution");
            double best = 0;
            int phase = 0;
            for (int workers : workerCounts) {
                phase++;
                // Each phase starts on an empty database of its own, as each peer run does (the peer
                // truncates its table); the JVM, and so the JIT's work, carries over from phase to phase.
                DatabaseAddress phaseDatabase = freshDatabase(address, "bench_phase_" + phase);
                double rate = phase(phaseDatabase, setupSql(phase), cluster, "bench-" + phase + "-" + workers,
                        executions, producers, workers, claimBatch, batchComplete, runBatch, library, notify, stats);
                setUp(address, "DROP DATABASE " + phaseDatabase.database() + " WITH (FORCE)");
                if (workers > 0) { // a Run-only phase is not end to end
                    best = Math.max(best, rate);
                }
            }
            // The peer runs twice and its best run counts, as Runplane's best phase does (the machine is noisy).
            double peer = 0;
            for (int run = 0; run < (flags.contains("no-peer") ? 0 : PEER_RUNS); run++) {
                peer = Math.max(peer, peer(cluster, executions, peerThreads, producers, runBatch));
            }
            if (peer > 0 && best > 0) {
                System.out.printf("ratio runplane best / db-scheduler lock-and-fetch best = %.2f%n", best / peer);
            }
        } finally {
            try (var paths = Files.walk(dataDir)) { // the scratch database: tens of MB per run
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    /** Creates (again) an empty database on the benchmark's PostgreSQL; its address. */
    private static DatabaseAddress freshDatabase(DatabaseAddress server, String name) throws SQLException {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password());
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name);
            s.execute("CREATE DATABASE " + name);
        }
        return new DatabaseAddress(server.host(), server.port(), name, server.user(), server.password());
    }

    /** The PostgreSQL server's postmaster: the parent of a backend; -1 if unknown. */
    private static long postmasterPid(DatabaseAddress address) throws SQLException {
        try (Connection c = DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password());
             Statement s = c.createStatement();
             var result = s.executeQuery("SELECT pg_backend_pid()")) {
            result.next();
            return ProcessCpu.parent(result.getLong(1));
        }
    }

    /** One phase: a Runplane server on the given database, and its end-to-end executions/s. */
    private static double phase(DatabaseAddress address, String experiment, ProcessCpu.Cluster cluster, String pipeline, int executions,
                                int producers, int workers, int claimBatch, boolean batchComplete, int runBatch,
                                boolean library, boolean notify, boolean stats) throws Exception {
        ServerConfig config = ServerConfig.defaults().withPort(0).withDatabaseUrl(
                "r2dbc:postgresql://" + address.user() + "@" + address.host() + ":" + address.port() + "/"
                        + address.database());
        try (Application app = Application.start(config)) {
            if (!notify) {
                setUp(address, "ALTER TABLE execution_events DISABLE TRIGGER execution_events_notify");
                System.out.println("(NOTIFY trigger disabled)");
            }
            if (!experiment.isBlank()) {
                setUp(address, experiment);
                System.out.println("(ran BENCH_SETUP_SQL: " + experiment + ")");
            }
            String walStart = stats ? StatementStats.reset(address) : null;
            double rate = runplane(app.port(), cluster, pipeline, executions, producers, workers, claimBatch,
                    batchComplete, runBatch, library);
            if (stats) {
                StatementStats.print(address, executions, walStart);
            }
            return rate;
        }
    }

    /**
     * The environment's BENCH_SETUP_SQL for a phase (1-based), to measure a schema variant: one SQL
     * string for every phase, or variants separated by {@code @@} taken in turn (phase 1 the first,
     * phase 2 the second, ...), so that two variants alternate in one run: {@code "@@DROP INDEX x"}
     * runs odd phases unchanged and even ones without index x.
     */
    private static String setupSql(int phase) {
        String sql = System.getenv("BENCH_SETUP_SQL");
        if (sql == null) {
            return "";
        }
        String[] variants = sql.split("@@", -1);
        return variants[(phase - 1) % variants.length].trim();
    }

    private static void setUp(DatabaseAddress address, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password());
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** One run: returns end-to-end executions/s. */
    static double runplane(int port, ProcessCpu.Cluster cluster, String pipeline, int n, int producers, int workers,
                           int claimBatch, boolean batchComplete, int runBatch, boolean library) throws Exception {
        List<ManagedChannel> channels = new ArrayList<>();
        AtomicInteger completed = new AtomicInteger();
        AtomicInteger submitted = new AtomicInteger();
        ConcurrentLinkedQueue<Long> claimNanos = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> completeNanos = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> runNanos = new ConcurrentLinkedQueue<>();
        // With no workers the phase measures Run alone: it ends when the producers have run every execution.
        boolean runOnly = workers == 0;
        CountDownLatch done = new CountDownLatch(runOnly ? producers : library ? 1 : workers);
        List<Thread> threads = new ArrayList<>();
        List<Worker> libraryWorkers = new ArrayList<>();
        for (int w = 0; library && w < workers; w++) {
            Channel counted = ClientInterceptors.intercept(channel(port, channels),
                    new LibraryCalls(n, completed, done, claimNanos, completeNanos));
            libraryWorkers.add(Worker.builder(counted).workerId("bench-worker-" + w).concurrency(claimBatch)
                    .maxWait(Duration.ofMillis(500)).handle(pipeline, task -> null).build());
        }
        for (int w = 0; !library && w < workers; w++) {
            ManagedChannel channel = channel(port, channels);
            String workerId = "bench-worker-" + w;
            threads.add(new Thread(() -> {
                WorkerServiceGrpc.WorkerServiceBlockingStub stub = WorkerServiceGrpc.newBlockingStub(channel);
                PollRequest poll = PollRequest.newBuilder().setWorkerId(workerId).addPipelines(pipeline)
                        .setMaxExecutions(claimBatch).setMaxWait(Durations.fromMillis(500)).build();
                while (completed.get() < n) {
                    long t0 = System.nanoTime();
                    PollResponse response = stub.withDeadlineAfter(10, TimeUnit.SECONDS).poll(poll);
                    if (response.getAssignmentsCount() > 0) {
                        claimNanos.add(System.nanoTime() - t0);
                    }
                    if (batchComplete && response.getAssignmentsCount() > 0) {
                        CompleteBatchRequest.Builder batch = CompleteBatchRequest.newBuilder();
                        response.getAssignmentsList().forEach(a -> batch.addCompletions(
                                CompleteRequest.newBuilder().setLease(a.getLease())));
                        long c0 = System.nanoTime();
                        stub.withDeadlineAfter(10, TimeUnit.SECONDS).completeBatch(batch.build());
                        completeNanos.add(System.nanoTime() - c0);
                        completed.addAndGet(response.getAssignmentsCount());
                    } else {
                        for (Assignment a : response.getAssignmentsList()) {
                            long c0 = System.nanoTime();
                            stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                                    .complete(CompleteRequest.newBuilder().setLease(a.getLease()).build());
                            completeNanos.add(System.nanoTime() - c0);
                            completed.incrementAndGet();
                        }
                    }
                }
                done.countDown();
            }, "worker-" + w));
        }
        for (int p = 0; p < producers; p++) {
            ManagedChannel channel = channel(port, channels);
            threads.add(new Thread(() -> {
                ExecutionServiceGrpc.ExecutionServiceBlockingStub stub = ExecutionServiceGrpc.newBlockingStub(channel);
                RunRequest run = RunRequest.newBuilder().setPipeline(pipeline).build();
                int taken;
                while ((taken = Math.min(runBatch, n - submitted.getAndAdd(runBatch))) > 0) {
                    long r0 = System.nanoTime();
                    if (runBatch == 1) {
                        stub.withDeadlineAfter(10, TimeUnit.SECONDS).run(run);
                    } else {
                        stub.withDeadlineAfter(10, TimeUnit.SECONDS).runBatch(RunBatchRequest.newBuilder()
                                .addAllRuns(Collections.nCopies(taken, run)).build());
                    }
                    runNanos.add(System.nanoTime() - r0);
                }
                if (runOnly) {
                    done.countDown();
                }
            }, "producer-" + p));
        }
        long jvm = ProcessHandle.current().pid(); // server and benchmark clients
        ProcessCpu.Reading cpuBefore = cluster.read(jvm);
        long start = System.nanoTime();
        libraryWorkers.forEach(Worker::start);
        threads.forEach(Thread::start);
        done.await();
        double seconds = (System.nanoTime() - start) / 1e9;
        ProcessCpu.Reading cpuAfter = cluster.read(jvm);
        for (Thread t : threads) {
            t.join();
        }
        libraryWorkers.forEach(Worker::close);
        channels.forEach(ManagedChannel::shutdownNow);
        long[] claims = sorted(claimNanos);
        long[] completes = sorted(completeNanos);
        long[] runs = sorted(runNanos);
        int finished = runOnly ? n : completed.get();
        double rate = finished / seconds;
        System.out.printf(runOnly ? "runplane Run only, no workers n=%2$d runs=%3$.0f/s | Run p50=%8$.2f p99=%9$.2f ms%10$s%n"
                        : "runplane workers=%2d n=%d end-to-end=%.0f/s claim(Poll with work) p50=%.2f ms p99=%.2f ms"
                        + " | Complete p50=%.2f p99=%.2f ms | Run p50=%.2f p99=%.2f ms%s%n",
                workers, finished, rate, percentile(claims, 0.50), percentile(claims, 0.99),
                percentile(completes, 0.50), percentile(completes, 0.99), percentile(runs, 0.50), percentile(runs, 0.99),
                cpuAfter.perExecution(cpuBefore, finished));
        return rate;
    }

    /**
     * For workers of the Java library (flag {@code library}): times the Polls that claimed work and
     * the CompleteBatch calls, and counts the completions the server answered; the phase ends at the
     * n-th.
     */
    private record LibraryCalls(int n, AtomicInteger completed, CountDownLatch done,
                                ConcurrentLinkedQueue<Long> claimNanos, ConcurrentLinkedQueue<Long> completeNanos)
            implements ClientInterceptor {

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            long t0 = System.nanoTime();
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onMessage(R message) {
                            if (message instanceof PollResponse poll && poll.getAssignmentsCount() > 0) {
                                claimNanos.add(System.nanoTime() - t0);
                            } else if (message instanceof CompleteBatchResponse batch) {
                                completeNanos.add(System.nanoTime() - t0);
                                long succeeded = batch.getResultsList().stream().filter(CompleteResult::hasExecution).count();
                                if (completed.addAndGet((int) succeeded) >= n) {
                                    done.countDown();
                                }
                            }
                            super.onMessage(message);
                        }
                    }, headers);
                }
            };
        }
    }

    private static ManagedChannel channel(int port, List<ManagedChannel> channels) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        channels.add(channel);
        return channel;
    }

    private static long[] sorted(ConcurrentLinkedQueue<Long> nanos) {
        return nanos.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))] / 1e6;
    }

    /**
     * Runs bench/peer-db-scheduler on a scratch database of the same PostgreSQL; its end-to-end rate
     * or 0. Prints the CPU per execution of its measured run (the database's and the peer JVM's) and WAL,
     * read between the line that ends its warm-up and the line of its result: that window also holds
     * the measured run's set-up (emptying the table, starting the scheduler), so it errs against the peer.
     */
    static double peer(ProcessCpu.Cluster cluster, int n, int threads, int producers, int scheduleBatch)
            throws Exception {
        DatabaseAddress address = cluster.address();
        try (Connection c = DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password());
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS peer_db_scheduler");
            s.execute("CREATE DATABASE peer_db_scheduler");
        }
        String jdbc = "jdbc:postgresql://" + address.host() + ":" + address.port() + "/peer_db_scheduler?user="
                + address.user();
        Path script = Path.of(System.getProperty("user.dir"), "bench", "peer-db-scheduler");
        List<String> command = new ArrayList<>(List.of(script.toString(), jdbc, Integer.toString(n),
                Integer.toString(threads), Integer.toString(producers), "lock-and-fetch"));
        if (scheduleBatch > 1) {
            // Warm, as Runplane's later phases are: the peer's JVM first runs the same count unmeasured.
            command.addAll(List.of(Integer.toString(scheduleBatch), "warm-up"));
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Pattern rate = Pattern.compile("end-to-end=(\\d+)/s");
        double result = 0;
        ProcessCpu.Reading measuredFrom = null;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                Matcher m = rate.matcher(line);
                boolean resultLine = m.find();
                if (resultLine || line.contains("(measured run follows)")) {
                    ProcessCpu.Reading now = cluster.read(process.pid());
                    if (resultLine && !line.startsWith("(warm-up)") && measuredFrom != null) {
                        line += now.perExecution(measuredFrom, n);
                    }
                    measuredFrom = now;
                }
                System.out.println(line);
                if (resultLine) {
                    result = Double.parseDouble(m.group(1));
                }
            }
        }
        if (process.waitFor() != 0) {
            System.out.println("db-scheduler peer failed (exit " + process.exitValue() + "): no ratio");
            return 0;
        }
        return result;
    }
}
