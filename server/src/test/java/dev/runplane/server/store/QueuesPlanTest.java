package dev.runplane.server.store;

import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ListQueues, ListWorkers and queue_position cost what is active, not the history (V13,
 * docs/workers.md): over 60,000 executions, nearly all finished, with 2,400 queued (an eighth
 * scheduled for later) and 900 leased over eight pipelines, the queued parts are index-only scans
 * of the claim index that read no table page (once the visibility map says so: a vacuumed table),
 * and the leased parts read the leased rows through their partial indexes; none scans the
 * executions table.
 */
class QueuesPlanTest {

    private static DatabaseAddress address;

    @BeforeAll
    static void seed() throws SQLException {
        address = SeededDatabase.with("""
                INSERT INTO executions (id, pipeline, status, mode, priority, labels, inputs, trigger_kind,
                    max_attempts, scheduled_for, create_time, queue_time, update_time, start_time, message, revision,
                    attempt, lease_token, lease_expire_time, lease_duration_ms, worker_id)
                SELECT gen_random_uuid(), 'p' || (i % 8), status, 'PRODUCTION', i % 3 - 1, '{}', '{}', 'API', 1,
                    CASE WHEN i % 200 = 150 THEN now() + interval '1 hour' ELSE now() - interval '1 minute' END,
                    now() - i * interval '1 second', now() - i * interval '1 second', now(), now(), '', 3, 1, 't',
                    CASE WHEN status IN ('RUNNING', 'CANCELLING') THEN now() + interval '1 hour' END, 60000,
                    'w' || (i % 20)
                FROM (SELECT i, CASE WHEN i % 50 IN (0, 50 / 2) THEN 'QUEUED' WHEN i % 100 = 1 THEN 'RUNNING'
                                     WHEN i % 200 = 3 THEN 'CANCELLING' ELSE 'SUCCEEDED' END AS status
                      FROM generate_series(1, 60000) i) s;
                INSERT INTO workers (worker_id, pipelines, key_id, last_seen_time)
                SELECT 'w' || i, ARRAY['p' || (i % 8), 'p' || ((i + 1) % 8)], '', now() - (i % 3) * interval '1 minute'
                FROM generate_series(0, 19) i
                """);
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            // The test cluster commits asynchronously (zonky's default): until the WAL is flushed, VACUUM
            // may not set the hint bits, and so marks no page all-visible. A checkpoint flushes it.
            s.execute("CHECKPOINT");
            s.execute("VACUUM ANALYZE executions, workers");
        }
    }

    @Test
    void listQueuesReadsOnlyTheClaimIndexAndTheLeasedRows() throws SQLException {
        for (String sql : List.of(bind(QueuesSql.queues(false), "60000"),
                bind(QueuesSql.queues(true), "'{p1,p3}'", "60000"))) {
            String plan = analyze(sql);
            assertFalse(plan.contains("Seq Scan on executions"), plan);
            assertTrue(plan.contains("Index Only Scan using executions_queue"), plan);
            // The leased rows through one of their partial indexes. Their pages are rarely all-visible
            // (every heartbeat writes a new version), so an index-only scan would visit them anyway.
            assertTrue(plan.contains("using executions_leases") || plan.contains("using executions_running"), plan);
            for (String line : plan.split("\n")) {
                if (line.contains("Heap Fetches")) {
                    assertTrue(line.trim().endsWith("Heap Fetches: 0"), plan);
                }
            }
        }
    }

    @Test
    void aQueuePositionCountsTwoRangesOfTheClaimIndex() throws SQLException {
        String plan = genericPlan(QueuesSql.POSITION);
        assertFalse(plan.contains("Seq Scan"), plan);
        assertEquals(2, plan.split("Index Only Scan using executions_queue", -1).length - 1, plan);
        // The earlier (queue_time, id) of the same priority is a range of the index, not a filter.
        assertTrue(plan.contains("ROW(queue_time, id) < ROW("), plan);
        assertFalse(plan.contains("Filter: (ROW("), plan);
    }

    @Test
    void listWorkersReadsOnlyTheLeasedRowsAndTheRecentWorkers() throws SQLException {
        for (String sql : List.of(bind(QueuesSql.workers(false), "300000"),
                bind(QueuesSql.workers(true), "'{p1,p3}'", "300000"))) {
            String plan = analyze(sql);
            assertFalse(plan.contains("Seq Scan on executions"), plan);
        }
    }

    /** The statement with its parameters written in, as the custom-plans pool plans it. */
    private static String bind(String sql, String... values) {
        String bound = sql;
        for (int i = values.length; i >= 1; i--) {
            bound = bound.replace("$" + i, values[i - 1]);
        }
        return bound;
    }

    private static String analyze(String sql) throws SQLException {
        return explain("EXPLAIN (ANALYZE, COSTS OFF) " + sql, Map.of("plan_cache_mode", "force_custom_plan"));
    }

    /** The generic plan under the main pool's settings, as the position is planned. */
    private static String genericPlan(String sql) throws SQLException {
        return explain("EXPLAIN (GENERIC_PLAN) " + sql, Database.KEYED_STATEMENTS);
    }

    private static String explain(String explain, Map<String, String> settings) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", address.user());
        properties.setProperty("password", address.password());
        properties.setProperty("preferQueryMode", "simple"); // sends $1 as is, for EXPLAIN (GENERIC_PLAN)
        try (Connection c = java.sql.DriverManager.getConnection(address.jdbcUrl(), properties);
             Statement s = c.createStatement()) {
            for (Map.Entry<String, String> setting : settings.entrySet()) {
                s.execute("SET " + setting.getKey() + " = " + setting.getValue());
            }
            List<String> lines = new ArrayList<>();
            try (ResultSet r = s.executeQuery(explain)) {
                while (r.next()) {
                    lines.add(r.getString(1));
                }
            }
            return String.join("\n", lines);
        }
    }
}
