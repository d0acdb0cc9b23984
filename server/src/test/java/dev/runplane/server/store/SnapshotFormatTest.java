package dev.runplane.server.store;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionMode;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.core.TransitionRequest;
import dev.runplane.server.core.Trigger;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Event snapshots: the positional array written now, and the keyed object of earlier versions, read alike. */
class SnapshotFormatTest {

    private static DatabaseAddress address;
    private static Database database;
    private static PostgresExecutionStore store;

    @BeforeAll
    static void open() {
        address = TestPostgres.newDatabase();
        database = Database.open(address, 4);
        store = new PostgresExecutionStore(database.pool());
    }

    @AfterAll
    static void close() {
        database.close();
    }

    /** The row's state as an event snapshot of the given SQL expression over {@code e} (the executions row). */
    private static Execution readBack(String snapshotSql, Execution of) throws Exception {
        try (Connection c = TestPostgres.jdbc(address);
             PreparedStatement s = c.prepareStatement("SELECT " + snapshotSql + "::text FROM executions e WHERE id = ?")) {
            s.setObject(1, of.id());
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                return ExecutionReader.execution(new SnapshotColumns(r.getString(1)));
            }
        }
    }

    @Test
    void bothFormatsReadAsTheSameExecutionAndTheArrayIsSmaller() throws Exception {
        NewExecution n = new NewExecution("snapshots", ExecutionMode.EXPERIMENT, 7, Map.of("team", "a", "twin", "t-1"),
                "{\"x\": 1}", new Trigger(dev.runplane.server.core.TriggerKind.SCHEDULE, "cron", "{\"at\": \"9\"}"),
                null, null, "req-snap", "fp", "dedup-snap", 3, Duration.ofMinutes(5), null);
        Execution created = store.create(n).block();
        Execution running = store.transition(TransitionRequest.of(created.id(), Action.CLAIM, "w", "")).block();

        String legacy = ExecutionReader.SNAPSHOT_COLUMNS.stream().map(column -> "'" + column + "', e." + column)
                .collect(Collectors.joining(", ", "jsonb_build_object(", ")"));
        Execution fromArray = readBack(ExecutionReader.SNAPSHOT, running);
        Execution fromObject = readBack(legacy, running);
        assertEquals(fromObject, fromArray);
        assertEquals(running.pipeline(), fromArray.pipeline());
        assertEquals(running.labels(), fromArray.labels());
        assertEquals(running.startTime(), fromArray.startTime());
        assertEquals(running.maxRuntime(), fromArray.maxRuntime());

        try (Connection c = TestPostgres.jdbc(address);
             PreparedStatement s = c.prepareStatement("SELECT pg_column_size(" + ExecutionReader.SNAPSHOT + "),"
                     + " pg_column_size(" + legacy + "), " + ExecutionReader.snapshotText("pipeline")
                     + " FROM (SELECT " + ExecutionReader.SNAPSHOT + " AS snapshot, e.* FROM executions e) e"
                     + " WHERE id = ?")) {
            s.setObject(1, running.id());
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                assertTrue(r.getInt(1) < r.getInt(2) * 0.6, "array " + r.getInt(1) + " B, object " + r.getInt(2) + " B");
                assertEquals("snapshots", r.getString(3), "snapshotText finds a column in the array");
            }
        }
    }

    @Test
    void aSnapshotOfAnUnknownFormatIsRefusedNotMisread() {
        assertThrows(IllegalStateException.class, () -> new SnapshotColumns("[2, \"a\", \"b\"]"));
    }
}
