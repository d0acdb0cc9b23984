package dev.runplane.server.store;

import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The metrics' count of active executions (every 10 s on every replica) costs what is active, not
 * the history: with 50,000 finished executions and a few active ones it walks partial indexes (the
 * queued rows', one of the leased rows'), never the table, and still counts right.
 */
class ExecutionStatsPlanTest {

    @Test
    void theActiveCountWalksThePartialIndexesOnly() throws SQLException {
        DatabaseAddress address = TestPostgres.newDatabase();
        Database.migrate(address);
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            s.execute("""
                    INSERT INTO executions (id, pipeline, status, mode, priority, labels, inputs, trigger_kind,
                        max_attempts, scheduled_for, create_time, queue_time, update_time, start_time, message, revision,
                        attempt, lease_token, lease_expire_time, lease_duration_ms, worker_id)
                    SELECT gen_random_uuid(), 'p', CASE WHEN i <= 3 THEN 'QUEUED' WHEN i <= 7 THEN 'RUNNING'
                            WHEN i <= 8 THEN 'CANCELLING' ELSE 'SUCCEEDED' END,
                        'PRODUCTION', 0, '{}', '{}', 'API', 1, now(), now(), now(), now(), now(), '', 3, 1, 't',
                        CASE WHEN i BETWEEN 4 AND 8 THEN now() + interval '1 hour' END, 60000, 'w'
                    FROM generate_series(1, 50008) i
                    """);
            s.execute("VACUUM ANALYZE executions");
            s.execute("SET plan_cache_mode = force_custom_plan"); // as the metrics' pool
            List<String> plan = new ArrayList<>();
            try (ResultSet r = s.executeQuery("EXPLAIN " + ExecutionStats.ACTIVE_SQL)) {
                while (r.next()) {
                    plan.add(r.getString(1));
                }
            }
            String text = String.join("\n", plan);
            assertFalse(text.contains("Seq Scan"), text);
            // Any of the partial indexes of leased rows (executions_leases, executions_running, and
            // since V11 executions_running_start_time) holds exactly the leased executions.
            assertTrue(text.contains("executions_queue") && (text.contains("executions_leases")
                    || text.contains("executions_running")), text);
        }
        try (Database database = Database.open(address, 2)) {
            Map<String, Long> active = new ExecutionStats(database.customPlans()).active().block(Duration.ofSeconds(10))
                    .stream().collect(Collectors.toMap(ExecutionStats.StatusCount::status,
                            ExecutionStats.StatusCount::count));
            assertEquals(Map.of("QUEUED", 3L, "RUNNING", 4L, "CANCELLING", 1L), active);
        }
    }
}
