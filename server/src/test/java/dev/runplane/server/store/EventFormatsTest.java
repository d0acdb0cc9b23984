package dev.runplane.server.store;

import com.google.gson.JsonParser;
import dev.runplane.server.core.Action;
import dev.runplane.server.core.Event;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.Mode;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.core.TransitionRequest;
import dev.runplane.server.core.Trigger;
import dev.runplane.server.core.TriggerKind;
import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An event's copy of its execution: the typed state written now (V9), and the jsonb snapshots of
 * earlier versions (a positional array, and before it an object keyed by column name), read alike.
 */
class EventFormatsTest {

    /** The snapshot that versions before V9 wrote: format 1, the columns by position. */
    private static final String FORMAT_1 = ExecutionReader.SNAPSHOT_COLUMNS.stream().map(column -> "e." + column)
            .collect(Collectors.joining(", ", "jsonb_build_array(1, ", ")"));

    /** The snapshot that versions before the array format wrote: an object keyed by column name. */
    private static final String OBJECT = ExecutionReader.SNAPSHOT_COLUMNS.stream()
            .map(column -> "'" + column + "', e." + column)
            .collect(Collectors.joining(", ", "jsonb_build_object(", ")"));

    private static DatabaseAddress address;
    private static Database database;
    private static PostgresExecutionStore store;
    private static PostgresExecutionQueries queries;

    @BeforeAll
    static void open() {
        address = TestPostgres.newDatabase();
        database = Database.open(address, 4);
        store = new PostgresExecutionStore(database.pool());
        queries = new PostgresExecutionQueries(database.pool(), database.customPlans());
    }

    @AfterAll
    static void close() {
        database.close();
    }

    @Test
    void theStateTypeHoldsTheColumnsOfExecutionsInTheOrderTheWritersUse() throws Exception {
        String sql = """
                SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type,
                       (SELECT format_type(c.atttypid, c.atttypmod) FROM pg_attribute c
                         WHERE c.attrelid = 'executions'::regclass AND c.attname = a.attname) AS column_type
                FROM pg_attribute a
                WHERE a.attrelid = (SELECT typrelid FROM pg_type WHERE typname = 'execution_state') AND a.attnum > 0
                ORDER BY a.attnum
                """;
        List<String> names = new ArrayList<>();
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                names.add(r.getString("attname"));
                assertEquals(r.getString("column_type"), r.getString("type"), r.getString("attname"));
            }
        }
        assertEquals(ExecutionReader.STATE_COLUMNS, names);
    }

    @Test
    void everyFormatReadsAsTheSameExecutionAndTheStateIsTheSmallest() throws Exception {
        NewExecution n = new NewExecution("formats", Mode.EXPERIMENT, 7, Map.of("team", "a", "twin", "t-1"),
                "{\"x\": 1}", new Trigger(TriggerKind.SCHEDULE, "cron", "{\"at\": \"9\"}"),
                null, null, "req-formats", "fp", "dedup-formats", 3, Duration.ofMinutes(5), null, "test");
        Execution created = store.create(n).block();
        Execution running = store.transition(TransitionRequest.of(created.id(), Action.CLAIM, "w", "")).block();
        // The running version again, as the two older formats held it, in events of their own.
        try (Connection c = TestPostgres.jdbc(address)) {
            int revision = 100;
            for (String snapshot : List.of(FORMAT_1, OBJECT)) {
                try (PreparedStatement s = c.prepareStatement("INSERT INTO execution_events"
                        + " (execution_id, revision, from_status, to_status, event_time, snapshot)"
                        + " SELECT e.id, ?, 'QUEUED', e.status, e.update_time, " + snapshot
                        + " FROM executions e WHERE id = ?")) {
                    s.setInt(1, revision++);
                    s.setObject(2, running.id());
                    assertEquals(1, s.executeUpdate());
                }
            }
        }

        List<Event> events = queries.events(running.id(), 0, 10).collectList().block();
        assertEquals(4, events.size());
        Execution fromState = events.get(1).execution();
        assertEquals(canonical(fromState), canonical(events.get(2).execution()), "format 1");
        assertEquals(canonical(fromState), canonical(events.get(3).execution()), "object");
        assertEquals(running.id(), fromState.id());
        assertEquals(running.status(), fromState.status());
        assertEquals(running.revision(), fromState.revision());
        assertEquals(running.updateTime(), fromState.updateTime());
        assertEquals(running.pipeline(), fromState.pipeline());
        assertEquals(running.labels(), fromState.labels());
        assertEquals(running.trigger(), fromState.trigger(), "the same jsonb text as the table's row");
        assertEquals(running.startTime(), fromState.startTime());
        assertEquals(running.maxRuntime(), fromState.maxRuntime());
        assertEquals(running.workerId(), fromState.workerId());
        assertNull(fromState.inputsJson(), "an event leaves the inputs out");
        assertEquals(created.createTime(), events.get(0).execution().createTime());
        assertEquals(created.status(), events.get(0).execution().status());

        try (Connection c = TestPostgres.jdbc(address);
             PreparedStatement s = c.prepareStatement("SELECT " + ExecutionReader.eventText("pipeline")
                     + " FROM execution_events WHERE execution_id = ? ORDER BY revision")) {
            s.setObject(1, running.id());
            try (ResultSet r = s.executeQuery()) {
                for (int row = 0; row < 4; row++) {
                    assertTrue(r.next());
                    assertEquals("formats", r.getString(1), "eventText finds the pipeline in every format");
                }
            }
        }
        try (Connection c = TestPostgres.jdbc(address);
             PreparedStatement s = c.prepareStatement("SELECT pg_column_size(" + ExecutionReader.STATE
                     + "), pg_column_size(" + FORMAT_1 + "), pg_column_size(" + OBJECT + ") FROM executions e WHERE id = ?")) {
            s.setObject(1, running.id());
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                int state = r.getInt(1);
                int array = r.getInt(2);
                int object = r.getInt(3);
                assertTrue(state < array * 0.5, "state " + state + " B, format 1 " + array + " B");
                assertTrue(array < object * 0.6, "format 1 " + array + " B, object " + object + " B");
            }
        }
    }

    /**
     * The execution with its trigger variables in one JSON rendering: jsonb's text, which the state
     * gives as a table row does, and Gson's, which a snapshot gives, differ in spaces.
     */
    private static Execution canonical(Execution e) {
        Trigger t = e.trigger();
        String variables = t.variablesJson() == null ? null : JsonParser.parseString(t.variablesJson()).toString();
        return new Execution(e.id(), e.pipeline(), e.status(), e.mode(), e.priority(), e.labels(), e.inputsJson(),
                e.outputsJson(), e.steps(), e.message(), e.error(), new Trigger(t.kind(), t.actor(), variables),
                e.parentId(), e.rerunOf(), e.duplicateOf(), e.requestId(), e.dedupKey(), e.attempt(), e.maxAttempts(),
                e.maxRuntime(), e.scheduledFor(), e.createTime(), e.queueTime(), e.startTime(), e.endTime(),
                e.updateTime(), e.workerId(), e.revision());
    }

    @Test
    void aSnapshotOfAnUnknownFormatIsRefusedNotMisread() {
        assertThrows(IllegalStateException.class, () -> new SnapshotColumns("[2, \"a\", \"b\"]"));
    }
}
