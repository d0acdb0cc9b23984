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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reaper's pass reads the executions that are due, not every running one (V7): among 50,000
 * running executions that are not due, it finds the three that are (an expired lease, a cancel past
 * its grace, a max runtime passed) through index ranges. Before V7 the same pass read all 1,250
 * pages of the table, once a second on every replica.
 */
class ReaperPlanTest {

    private static final int NOT_DUE = 50_000;
    /** Far below the table's ~1,250 pages; the index pages and the three due rows are a few dozen. */
    private static final int MAX_PAGES = 200;
    private static final Pattern SHARED_BUFFERS = Pattern.compile("shared hit=(\\d+)(?: read=(\\d+))?");

    private static DatabaseAddress address;

    @BeforeAll
    static void fill() throws SQLException {
        address = TestPostgres.newDatabase();
        Database.migrate(address);
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            // Running, leases an hour away; every other one with a day of max runtime; a few cancelling recently.
            insert(s, NOT_DUE, "CASE WHEN i % 500 = 0 THEN 'CANCELLING' ELSE 'RUNNING' END", "now()",
                    "CASE WHEN i % 2 = 0 THEN 86400000 END", "now() + interval '1 hour'", "now()");
            insert(s, 1, "'RUNNING'", "now()", "NULL", "now() - interval '1 second'", "NULL");
            insert(s, 1, "'CANCELLING'", "now()", "NULL", "now() + interval '1 hour'", "now() - interval '1 hour'");
            insert(s, 1, "'RUNNING'", "now() - interval '2 days'", "86400000", "now() + interval '1 hour'", "NULL");
            s.execute("VACUUM ANALYZE executions");
        }
    }

    private static void insert(Statement s, int rows, String status, String startTime, String maxRuntimeMs,
                               String leaseExpireTime, String cancelTime) throws SQLException {
        s.execute("""
                INSERT INTO executions (id, pipeline, status, mode, priority, labels, inputs, trigger_kind,
                    max_attempts, max_runtime_ms, scheduled_for, create_time, queue_time, update_time, start_time,
                    cancel_time, message, revision, attempt, lease_token, lease_expire_time, lease_duration_ms,
                    worker_id)
                SELECT gen_random_uuid(), 'p', %s, 'PRODUCTION', 0, '{}', '{}', 'API', 3, %s, now(), now(), now(),
                    now(), %s, %s, '', 2, 1, 'token', %s, 3600000, 'w'
                FROM generate_series(1, %d) i
                """.formatted(status, maxRuntimeMs, startTime, cancelTime, leaseExpireTime, rows));
    }

    /** The pass as the reaper sends it: 30 s cancel grace, 1 s retry base, 5 min retry cap, 100 rows. */
    private static String pass() {
        return ExecutionLeasesSql.REAP.replace("$1", "30000").replace("$2", "1000")
                .replace("$3", "300000").replace("$4", "100").replace("/*mark*/", "");
    }

    @Test
    void aPassReadsTheDueRowsThroughIndexesAndChangesExactlyThem() throws SQLException {
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("SET plan_cache_mode = force_custom_plan"); // as the reaper's pool
            List<String> plan = new ArrayList<>();
            try (ResultSet r = s.executeQuery("EXPLAIN (ANALYZE, BUFFERS) " + pass())) {
                while (r.next()) {
                    plan.add(r.getString(1));
                }
            }
            c.rollback();
            String text = String.join("\n", plan);
            assertFalse(text.contains("Seq Scan on executions"), text);
            assertTrue(pages(text) < MAX_PAGES, () -> pages(text) + " pages read:\n" + text);
            try (ResultSet r = s.executeQuery(pass())) {
                assertTrue(r.next());
                assertEquals(3, r.getInt("changed"), "the three due executions, and only they");
                assertEquals(1, r.getInt("requeued"), "the expired lease goes back to the queue");
            }
            c.rollback();
        }
    }

    /** Pages read by the statement: its top node's buffers, which count everything it ran below it. */
    private static int pages(String plan) {
        Matcher m = SHARED_BUFFERS.matcher(plan.substring(plan.indexOf("Buffers:")));
        assertTrue(m.find(), plan);
        return Integer.parseInt(m.group(1)) + (m.group(2) == null ? 0 : Integer.parseInt(m.group(2)));
    }
}
