package dev.runplane.server.store;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.NewExecution;
import io.r2dbc.spi.Statement;
import java.lang.reflect.Array;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The statements of the {@code executions} table that clients cause (V1, V2, V4): the Run insert,
 * the reads by key, and the transitions of {@link Action}s that are not a worker's. The worker's and
 * the reaper's statements, which take, check and end leases, are {@link ExecutionLeasesSql}.
 */
final class ExecutionsSql {

    /** {@link ExecutionReader#COLUMNS} of the updated row {@code x}: what an UPDATE of executions returns. */
    static final String RETURNING = Arrays.stream(ExecutionReader.COLUMNS.split(", "))
            .map(column -> "x." + column).collect(Collectors.joining(", "));

    /** A row for the insert: the Run, its new id, its first status, and the holder of its dedup key if skipped. */
    record NewRow(UUID id, NewExecution run, ExecutionState status, UUID duplicateOf, String message) {

        /** A Run queued as asked ({@code Transitions.create(Action.ENQUEUE)}). */
        static NewRow queued(UUID id, NewExecution run) {
            return new NewRow(id, run, ExecutionState.QUEUED, null, "");
        }
    }

    /**
     * One value the insert binds per row, as an array of {@code type}: {@code name} in the statement's
     * input, {@code value} the SQL that turns it into the column of that name (null: not a column of
     * executions, only for the event), {@code javaType} the array's element class, {@code of} the value.
     */
    private record Input(String name, String type, String value, Class<?> javaType, Function<NewRow, Object> of) {

        static Input column(String name, String type, Class<?> javaType, Function<NewRow, Object> of) {
            return new Input(name, type, name, javaType, of);
        }
    }

    /**
     * THE list of what a Run writes: one line per value. A new Run field is one line here (and its
     * column in a migration, and in {@link ExecutionReader}). Text, not jsonb or timestamptz, for the
     * json and time arrays: the casts are made in SQL, as the single-row statement used to.
     */
    private static final List<Input> INPUTS = List.of(
            Input.column("id", "uuid", UUID.class, NewRow::id),
            Input.column("pipeline", "text", String.class, r -> r.run().pipeline()),
            Input.column("status", "text", String.class, r -> r.status().name()),
            Input.column("mode", "text", String.class, r -> r.run().mode().name()),
            Input.column("priority", "int", Integer.class, r -> r.run().priority()),
            new Input("labels", "text", "labels::jsonb", String.class,
                    r -> ExecutionReader.labelsJson(r.run().labels())),
            new Input("inputs", "text", "inputs::jsonb", String.class,
                    r -> r.run().inputsJson() == null ? "{}" : r.run().inputsJson()),
            Input.column("trigger_kind", "text", String.class, r -> r.run().trigger().kind().name()),
            Input.column("trigger_actor", "text", String.class,
                    r -> r.run().trigger().actor() == null ? "" : r.run().trigger().actor()),
            new Input("trigger_variables", "text", "trigger_variables::jsonb", String.class,
                    r -> r.run().trigger().variablesJson()),
            Input.column("parent_id", "uuid", UUID.class, r -> r.run().parentId()),
            Input.column("rerun_of", "uuid", UUID.class, r -> r.run().rerunOf()),
            Input.column("duplicate_of", "uuid", UUID.class, NewRow::duplicateOf),
            Input.column("request_id", "text", String.class, r -> r.run().requestId()),
            Input.column("request_fingerprint", "text", String.class, r -> r.run().requestFingerprint()),
            Input.column("dedup_key", "text", String.class, r -> r.run().dedupKey()),
            Input.column("max_attempts", "int", Integer.class, r -> r.run().maxAttempts()),
            Input.column("max_runtime_ms", "bigint", Long.class,
                    r -> r.run().maxRuntime() == null ? null : r.run().maxRuntime().toMillis()),
            new Input("scheduled_for", "text", "coalesce(scheduled_for::timestamptz, now())", String.class,
                    r -> text(r.run().scheduledFor())),
            Input.column("message", "text", String.class, NewRow::message),
            new Input("actor", "text", null, String.class, r -> r.run().actor()));

    /**
     * Inserts executions and their first events, one row per element of the bound arrays
     * ({@link #bindInsert}), in their order; a Run alone is an array of one. A row that a unique
     * index (request_id, or the active dedup_key) turns away is left out: {@code ON CONFLICT DO
     * NOTHING} waits for a racing insert to commit, so the caller can then read the row that won. A
     * new execution's message is why it has its first status (a skip's holder), as its event's reason.
     * Answers the inserted rows and the writing transaction, which the event hub leaves out of its
     * own signals when the store has signalled them (docs/events.md).
     */
    static final String INSERT = """
            WITH input AS (
                SELECT * FROM unnest(%1$s) WITH ORDINALITY AS i(%2$s, ord)
            ), e AS (
                INSERT INTO executions (%3$s, create_time, queue_time, end_time, update_time, revision)
                SELECT %4$s, now(), CASE WHEN status = %5$s THEN now() END,
                    CASE WHEN status IN (%6$s) THEN now() END, now(), 1
                FROM input ORDER BY ord
                ON CONFLICT DO NOTHING
                RETURNING %7$s
            ), %8$s
            SELECT %7$s, pg_current_xact_id()::text AS xid_text FROM e
            """.formatted(
            join(i -> "$" + (INPUTS.indexOf(i) + 1) + "::" + i.type() + "[]"),
            join(Input::name),
            INPUTS.stream().filter(i -> i.value() != null).map(Input::name).collect(Collectors.joining(", ")),
            INPUTS.stream().filter(i -> i.value() != null).map(Input::value).collect(Collectors.joining(", ")),
            Sql.QUEUED, Sql.TERMINAL, ExecutionReader.COLUMNS,
            ExecutionEventsSql.insert("e JOIN input ON input.id = e.id", "NULL", "input.actor", "e.message"));

    static final String FIND = "SELECT " + ExecutionReader.COLUMNS + " FROM executions WHERE id = $1";

    static final String FIND_BY_REQUEST_ID = "SELECT " + ExecutionReader.COLUMNS
            + " FROM executions WHERE request_id = $1";

    /** The active holder of a dedup key, through the partial unique index on active keys (V1). */
    static final String FIND_ACTIVE_BY_DEDUP_KEY = "SELECT id FROM executions"
            + " WHERE dedup_key = $1 AND status IN ('QUEUED', 'RUNNING', 'CANCELLING')";

    private ExecutionsSql() {
    }

    private static String join(Function<Input, String> part) {
        return INPUTS.stream().map(part).collect(Collectors.joining(", "));
    }

    private static String text(Instant at) {
        return at == null ? null : at.toString();
    }

    /** Binds the rows to {@link #INSERT}: one array per input, element i from row i. */
    static void bindInsert(Statement statement, List<NewRow> rows) {
        for (int column = 0; column < INPUTS.size(); column++) {
            Input input = INPUTS.get(column);
            Object[] values = (Object[]) Array.newInstance(input.javaType(), rows.size());
            for (int row = 0; row < rows.size(); row++) {
                values[row] = input.of().apply(rows.get(row));
            }
            statement.bind(column, values);
        }
    }

    /**
     * The one statement of an action, built from the transition table: the row is locked and its new
     * status computed ({@link Sql#statusCase}); NULL means the table refuses, and the result row then
     * says the current status. A claim (to RUNNING) starts an attempt without the last one's error;
     * that one's event keeps it. $1 id, $2 actor, $3 reason, $4 worker id, $5 outputs, $6 message, $7 error.
     */
    static String transition(Action action) {
        return """
                WITH old AS (
                    SELECT id, status AS from_status, %1$s AS to_status
                    FROM executions WHERE id = $1 FOR UPDATE
                ), e AS (
                    UPDATE executions x SET
                        status = old.to_status,
                        revision = x.revision + 1,
                        update_time = now(),
                        queue_time = CASE WHEN old.to_status = 'QUEUED' THEN now() ELSE x.queue_time END,
                        start_time = CASE WHEN old.to_status = 'RUNNING' THEN now() ELSE x.start_time END,
                        end_time = CASE WHEN old.to_status IN (%2$s) THEN now() ELSE x.end_time END,
                        attempt = CASE WHEN old.to_status = 'RUNNING' THEN x.attempt + 1 ELSE x.attempt END,
                        cancel_time = CASE WHEN '%3$s' = 'CANCEL' THEN now() ELSE x.cancel_time END,
                        lease_token = CASE WHEN old.to_status IN (%2$s) THEN NULL ELSE x.lease_token END,
                        lease_expire_time = CASE WHEN old.to_status IN (%2$s) THEN NULL ELSE x.lease_expire_time END,
                        worker_id = coalesce($4, x.worker_id),
                        outputs = coalesce($5::jsonb, x.outputs),
                        message = coalesce($6, CASE WHEN '%3$s' = 'CANCEL' AND $3 <> '' THEN $3 END, x.message),
                        error = coalesce($7, CASE WHEN old.to_status = 'RUNNING' THEN '' END, x.error)
                    FROM old
                    WHERE x.id = old.id AND old.to_status IS NOT NULL
                    RETURNING %4$s, old.from_status
                ), %5$s
                SELECT old.from_status AS current_status, e.* FROM old LEFT JOIN e ON true
                """.formatted(Sql.statusCase("status", action), Sql.TERMINAL, action.name(), RETURNING,
                ExecutionEventsSql.insert("e", "e.from_status", "$2", "$3"));
    }
}
