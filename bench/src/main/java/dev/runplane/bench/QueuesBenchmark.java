package dev.runplane.bench;

import dev.runplane.server.Application;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.ListQueuesRequest;
import dev.runplane.v1.ListWorkersRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * ListQueues, ListWorkers and queue_position (issue 19) on a large table: loads N executions into
 * the embedded PostgreSQL (Runplane on a real Netty port in front of it), then measures p50/p99 of
 * each call through a real gRPC client, one call at a time.
 *
 * <pre>bench/run QueuesBenchmark [executions=1000000] [samples=500] [pipelines=40] [backlog=0]</pre>
 *
 * The mix, from a hash of the row number: 0.5% queued (a tenth of them scheduled for later), 0.3%
 * running, 0.1% cancelling, the rest finished; priorities -5..5; 200 workers recorded, each polling
 * two pipelines. A backlog adds that many claimable executions to one more pipeline ("backlog"), a
 * queue far deeper than the others. GetExecution is measured for a queued execution at the front,
 * the middle and the end of the largest queue: the position is a count of the entries before it, so
 * its cost grows with the position.
 */
public final class QueuesBenchmark {

    private static final int CHUNK = 100_000;
    private static final int WORKERS = 200;

    public static void main(String[] args) throws Exception {
        int executions = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int samples = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int pipelines = args.length > 2 ? Integer.parseInt(args[2]) : 40;
        int backlog = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        Path dataDir = Files.createTempDirectory("runplane-queues-bench");
        ServerConfig config = ServerConfig.defaults().withDataDir(dataDir).withDurableEmbedded(false).withPort(0);
        try (Application app = Application.start(config)) {
            DatabaseAddress address = app.database().address();
            load(address, executions, pipelines, backlog);
            List<String> positions = queuedAlongTheLargestQueue(address);
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
            try {
                run(ExecutionServiceGrpc.newBlockingStub(channel), executions, samples, positions);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            Figures.deleteRecursively(dataDir);
        }
    }

    private static void load(DatabaseAddress address, int executions, int pipelines, int backlog) throws Exception {
        long started = System.nanoTime();
        try (Connection c = DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password())) {
            PreparedStatement insert = c.prepareStatement("""
                    INSERT INTO executions (id, pipeline, status, mode, priority, labels, inputs, message,
                        trigger_kind, attempt, max_attempts, scheduled_for, create_time, queue_time, start_time,
                        end_time, update_time, worker_id, lease_token, lease_expire_time, lease_duration_ms,
                        cancel_time, revision)
                    SELECT gen_random_uuid(), 'pipeline-' || lpad((g %% %1$d)::text, 2, '0'), s.status, 'PRODUCTION',
                        g %% 11 - 5, '{}', '{}', '', 'API', CASE WHEN s.status = 'QUEUED' THEN 0 ELSE 1 END, 1,
                        CASE WHEN s.status = 'QUEUED' AND h.r %% 10 = 0 THEN now() + interval '1 hour'
                             ELSE t.created END,
                        t.created, t.created,
                        CASE WHEN s.status = 'QUEUED' THEN NULL ELSE t.created + interval '1 second' END,
                        CASE WHEN s.status IN ('QUEUED', 'RUNNING', 'CANCELLING') THEN NULL
                             ELSE t.created + interval '1 minute' END,
                        t.created,
                        CASE WHEN s.status = 'QUEUED' THEN NULL ELSE 'worker-' || (g %% %2$d) END,
                        CASE WHEN s.status IN ('RUNNING', 'CANCELLING') THEN 't' END,
                        CASE WHEN s.status IN ('RUNNING', 'CANCELLING') THEN now() + interval '1 hour' END,
                        60000,
                        CASE WHEN s.status = 'CANCELLING' THEN now() END,
                        CASE WHEN s.status = 'QUEUED' THEN 1 ELSE 3 END
                    FROM generate_series(?::bigint, ?::bigint) AS g,
                    LATERAL (SELECT now() - (g * (interval '30 days' / ?::bigint)) AS created) AS t,
                    LATERAL (SELECT abs(hashint8(g) %% 1000) AS r) AS h,
                    LATERAL (SELECT CASE
                        WHEN h.r < 5 THEN 'QUEUED' WHEN h.r < 8 THEN 'RUNNING' WHEN h.r = 8 THEN 'CANCELLING'
                        WHEN h.r < 900 THEN 'SUCCEEDED' WHEN h.r < 980 THEN 'FAILED' ELSE 'CANCELLED' END AS status) AS s
                    """.formatted(pipelines, WORKERS));
            for (long from = 0; from < executions; from += CHUNK) {
                long to = Math.min(executions, from + CHUNK) - 1;
                insert.setLong(1, from);
                insert.setLong(2, to);
                insert.setLong(3, executions);
                insert.executeUpdate();
                System.out.printf("loaded %,d of %,d executions (%.0f s)%n", to + 1, executions,
                        (System.nanoTime() - started) / 1e9);
            }
            try (Statement s = c.createStatement()) {
                s.execute("""
                        INSERT INTO executions (id, pipeline, status, mode, priority, labels, inputs, message,
                            trigger_kind, max_attempts, scheduled_for, create_time, queue_time, update_time, revision)
                        SELECT gen_random_uuid(), 'backlog', 'QUEUED', 'PRODUCTION', g %% 3, '{}', '{}', '', 'API', 1,
                            now() - interval '1 hour', now() - g * interval '1 millisecond',
                            now() - g * interval '1 millisecond', now(), 1
                        FROM generate_series(1, %d) g
                        """.formatted(backlog));
                s.execute("""
                        INSERT INTO workers (worker_id, pipelines, key_id, last_seen_time)
                        SELECT 'worker-' || i, ARRAY['pipeline-' || lpad((i %% %1$d)::text, 2, '0'),
                            'pipeline-' || lpad(((i + 1) %% %1$d)::text, 2, '0')], '', now()
                        FROM generate_series(0, %2$d - 1) i
                        """.formatted(pipelines, WORKERS));
                // The embedded database commits asynchronously here (not durable, for loading speed):
                // flush the WAL so that VACUUM can mark the pages all-visible, as a server's would be.
                s.execute("CHECKPOINT");
                s.execute("VACUUM ANALYZE executions, workers");
            }
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT count(*) FILTER (WHERE status = 'QUEUED'), "
                         + "count(*) FILTER (WHERE status IN ('RUNNING', 'CANCELLING')), "
                         + "pg_size_pretty(pg_total_relation_size('executions')) FROM executions")) {
                r.next();
                System.out.printf("loaded %,d executions (%,d queued, %,d leased) in %.0f s; table with indexes: %s%n",
                        executions, r.getLong(1), r.getLong(2), (System.nanoTime() - started) / 1e9, r.getString(3));
            }
        }
    }

    /** Claimable executions of the largest queue at its front, middle and end, in the claim order. */
    private static List<String> queuedAlongTheLargestQueue(DatabaseAddress address) throws Exception {
        List<String> claimOrder = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password());
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("""
                     SELECT id FROM executions WHERE status = 'QUEUED' AND scheduled_for <= now() AND pipeline = (
                         SELECT pipeline FROM executions WHERE status = 'QUEUED' GROUP BY pipeline
                         ORDER BY count(*) DESC LIMIT 1)
                     ORDER BY priority DESC, queue_time, id""")) {
            while (r.next()) {
                claimOrder.add(r.getString(1));
            }
        }
        return List.of(claimOrder.get(0), claimOrder.get(claimOrder.size() / 2), claimOrder.get(claimOrder.size() - 1));
    }

    private static void run(ExecutionServiceGrpc.ExecutionServiceBlockingStub stub, int executions, int samples,
                            List<String> positions) {
        Map<String, Supplier<Object>> calls = new LinkedHashMap<>();
        calls.put("ListQueues, every pipeline", () -> stub.listQueues(ListQueuesRequest.getDefaultInstance()));
        calls.put("ListQueues, one pipeline", () -> stub.listQueues(ListQueuesRequest.newBuilder()
                .addPipelines("pipeline-07").build()));
        calls.put("ListWorkers, every worker", () -> stub.listWorkers(ListWorkersRequest.getDefaultInstance()));
        String[] where = {"front", "middle", "end"};
        for (int i = 0; i < positions.size(); i++) {
            String id = positions.get(i);
            int position = stub.getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution()
                    .getQueuePosition();
            calls.put("GetExecution, queue_position " + position + " (" + where[i] + ")",
                    () -> stub.getExecution(GetExecutionRequest.newBuilder().setId(id).build()));
        }
        int warmUp = Math.max(50, samples / 2);
        for (int i = 0; i < warmUp; i++) {
            calls.values().forEach(Supplier::get);
        }
        System.out.printf("%nQueue visibility latency, %,d executions, %d samples each after %d warm-up rounds%n",
                executions, samples, warmUp);
        System.out.printf("%-48s %9s %9s %9s%n", "call", "p50 ms", "p99 ms", "max ms");
        for (Map.Entry<String, Supplier<Object>> call : calls.entrySet()) {
            long[] nanos = new long[samples];
            for (int i = 0; i < samples; i++) {
                long start = System.nanoTime();
                call.getValue().get();
                nanos[i] = System.nanoTime() - start;
            }
            Arrays.sort(nanos);
            System.out.printf("%-48s %9.2f %9.2f %9.2f%n", call.getKey(), Figures.millis(nanos, 50),
                    Figures.millis(nanos, 99), nanos[nanos.length - 1] / 1e6);
        }
    }
}
