package dev.runplane.server.store;

import dev.runplane.server.core.Action;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot statements' generic plans, made on empty tables (the worst moment: a plan is kept until
 * the table is analyzed again), read rows through indexes under the main pool's settings. Without
 * them, the batched Complete joins the table by a sequential scan: the control case, which shows
 * that this test can see the trap.
 */
class KeyedPlansTest {

    private static DatabaseAddress address;

    @BeforeAll
    static void migrate() {
        address = TestPostgres.newDatabase();
        Database.migrate(address);
    }

    @ParameterizedTest
    @ValueSource(strings = {"claim", "complete batch", "heartbeat", "fail", "cancel", "hub read", "history by revision",
            "history by position", "hub start"})
    void genericPlansUseIndexes(String name) throws SQLException {
        String plan = genericPlan(statements().get(name), Database.KEYED_STATEMENTS);
        assertTrue(plan.contains("Index"), plan);
        assertFalse(plan.contains("Seq Scan on execution"), name + " scans a table:\n" + plan);
    }

    /**
     * Issue 18: a Run alone goes through the batch statement, as arrays of one. Its plan reads no
     * table, as the single-row VALUES insert did: it unnests the arrays, inserts (a conflict on a
     * unique index leaves the row out) and joins what it inserted to its input for the events.
     */
    @Test
    void theRunInsertReadsNoTable() throws SQLException {
        String plan = genericPlan(statements().get("run insert"), Database.KEYED_STATEMENTS);
        assertFalse(plan.contains("Scan on execution"), plan);
        assertFalse(plan.contains("Scan using"), plan);
        assertTrue(plan.contains("Function Scan"), plan);
        assertTrue(plan.contains("Conflict Resolution: NOTHING"), plan);
    }

    @Test
    void withoutTheSettingsTheBatchedCompleteScansTheTable() throws SQLException {
        String plan = genericPlan(ExecutionLeasesSql.COMPLETE_BATCH, Map.of());
        assertTrue(plan.contains("Seq Scan on executions"), plan);
    }

    /**
     * A generic plan takes {@code LIMIT $n} for a tenth of the rows. Planned after an ANALYZE that saw
     * a backlog (60,000 queued of 100,000), the claim joined what it picked to the table by hashing
     * over a whole walk of the primary key, per claim, until the next ANALYZE (WorkerBenchmark: 545
     * key entries read per execution). It now updates the picked rows by key.
     */
    @Test
    void aClaimPlannedDuringABacklogStillUpdatesByKey() throws SQLException {
        DatabaseAddress backlog = SeededDatabase.with("""
                INSERT INTO executions (id, pipeline, status, mode, priority, labels, inputs, trigger_kind,
                    max_attempts, scheduled_for, create_time, queue_time, update_time, message, revision)
                SELECT gen_random_uuid(), 'p', CASE WHEN i % 5 < 3 THEN 'QUEUED' ELSE 'SUCCEEDED' END,
                    'PRODUCTION', 0, '{}', '{}', 'API', 1, now(), now(), now(), now(), '', 1
                FROM generate_series(1, 100000) i
                """);
        String plan = genericPlan(backlog, ExecutionLeasesSql.CLAIM, Database.KEYED_STATEMENTS);
        assertFalse(walksTheKey(plan), plan);
        assertTrue(plan.contains("executions_queue"), plan);
    }

    /** Whether the plan reads executions_pkey without an index condition: the whole key, in order. */
    private static boolean walksTheKey(String plan) {
        String[] lines = plan.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains("Index Scan using executions_pkey")
                    && (i + 1 == lines.length || !lines[i + 1].contains("Index Cond"))) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, String> statements() {
        return Map.ofEntries(
                Map.entry("run insert", ExecutionsSql.INSERT),
                Map.entry("claim", ExecutionLeasesSql.CLAIM),
                Map.entry("complete batch", ExecutionLeasesSql.COMPLETE_BATCH),
                Map.entry("heartbeat", ExecutionLeasesSql.HEARTBEAT),
                Map.entry("fail", ExecutionLeasesSql.FAIL),
                Map.entry("cancel", ExecutionsSql.transition(Action.CANCEL)),
                Map.entry("hub read", ExecutionEventsSql.HUB_READ),
                Map.entry("hub light read", ExecutionEventsSql.HUB_LIGHT_READ),
                Map.entry("history by revision", ExecutionEventsSql.AFTER_REVISION),
                Map.entry("history by position", ExecutionEventsSql.RANGE),
                Map.entry("hub start", ExecutionEventsSql.HUB_START));
    }

    private static String genericPlan(String sql, Map<String, String> settings) throws SQLException {
        return genericPlan(address, sql, settings);
    }

    private static String genericPlan(DatabaseAddress address, String sql, Map<String, String> settings)
            throws SQLException {
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("user", address.user());
        properties.setProperty("password", address.password());
        properties.setProperty("preferQueryMode", "simple"); // sends $1 as is, for EXPLAIN (GENERIC_PLAN)
        try (Connection c = java.sql.DriverManager.getConnection(address.jdbcUrl(), properties);
             Statement s = c.createStatement()) {
            for (Map.Entry<String, String> setting : settings.entrySet()) {
                s.execute("SET " + setting.getKey() + " = " + setting.getValue());
            }
            List<String> lines = new ArrayList<>();
            try (ResultSet r = s.executeQuery("EXPLAIN (GENERIC_PLAN) " + sql)) {
                while (r.next()) {
                    lines.add(r.getString(1));
                }
            }
            return String.join("\n", lines);
        }
    }
}
