package dev.runplane.server.store;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.Mode;
import dev.runplane.server.core.Step;
import dev.runplane.server.core.StepState;
import dev.runplane.server.core.Trigger;
import dev.runplane.server.core.TriggerKind;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Builds domain objects from stored columns. The column names are the schema's (V1 migration). */
public final class ExecutionReader {

    /** Every column an execution is read from; the search vector stays in the database. */
    static final String COLUMNS = "id, pipeline, status, mode, priority, labels, inputs, outputs, message, error, "
            + "trigger_kind, trigger_actor, trigger_variables, parent_id, rerun_of, duplicate_of, request_id, "
            + "request_fingerprint, dedup_key, attempt, max_attempts, max_runtime_ms, scheduled_for, create_time, "
            + "queue_time, start_time, end_time, update_time, worker_id, lease_token, lease_expire_time, cancel_time, "
            + "revision";

    /** Columns an event leaves out: the bulky ones, and the lease token (a worker's credential). */
    private static final Set<String> NOT_IN_EVENTS = Set.of("inputs", "outputs", "lease_token");

    /**
     * The columns of the jsonb snapshot that events written before V9 hold, in the order of its
     * format 1 (read by {@link SnapshotColumns}).
     */
    static final List<String> SNAPSHOT_COLUMNS = Arrays.stream(COLUMNS.split(", "))
            .filter(column -> !NOT_IN_EVENTS.contains(column))
            .toList();

    /** The format number that the positional jsonb snapshots hold as their first element. */
    static final int SNAPSHOT_FORMAT = 1;

    /**
     * The columns whose value at the change the event row holds itself: id (its execution_id),
     * status (to_status), revision, and update_time (event_time). Every statement that writes an
     * event takes these from the row it changed.
     */
    static final Map<String, String> IN_THE_EVENT_ROW = Map.of(
            "id", "execution_id", "status", "to_status", "revision", "revision", "update_time", "event_time");

    /** The attributes of the execution_state type (V9), in its order: the rest of the event's columns. */
    static final List<String> STATE_COLUMNS = SNAPSHOT_COLUMNS.stream()
            .filter(column -> !IN_THE_EVENT_ROW.containsKey(column))
            .toList();

    /**
     * An event's copy of the execution row {@code e} of the statement that writes the event (its
     * RETURNING columns are {@link #COLUMNS}), for the event's {@code state} column: a row of type
     * execution_state. It replaced a jsonb snapshot (V9), which cost nine times the CPU to build
     * and two and a half times the bytes (docs/events.md).
     */
    static final String STATE = STATE_COLUMNS.stream()
            .map(column -> "e." + column)
            .collect(Collectors.joining(", ", "ROW(", ")::execution_state"));

    /**
     * SQL for one column of the execution as of an event, as text, from its state or, for an event
     * written before V9, its jsonb snapshot of either format; e.g. {@code pipeline}.
     */
    public static String eventText(String column) {
        int position = SNAPSHOT_COLUMNS.indexOf(column) + 1;
        if (!STATE_COLUMNS.contains(column)) {
            throw new IllegalArgumentException(column + " is not in an event's state");
        }
        return "coalesce((state)." + column + "::text, snapshot->>" + position + ", snapshot->>'" + column + "')";
    }

    private static final Gson GSON = new Gson();
    private static final Type STRING_MAP = new TypeToken<Map<String, String>>() { }.getType();

    private ExecutionReader() {
    }

    public static Execution execution(Columns c) {
        Long maxRuntimeMs = c.int8("max_runtime_ms");
        return new Execution(
                c.uuid("id"),
                c.text("pipeline"),
                ExecutionState.valueOf(c.text("status")),
                Mode.valueOf(c.text("mode")),
                c.int4("priority"),
                labels(c.json("labels")),
                c.json("inputs"),
                c.json("outputs"),
                List.of(),
                c.text("message"),
                c.text("error"),
                new Trigger(TriggerKind.valueOf(c.text("trigger_kind")), c.text("trigger_actor"),
                        c.json("trigger_variables")),
                c.uuid("parent_id"),
                c.uuid("rerun_of"),
                c.uuid("duplicate_of"),
                c.text("request_id"),
                c.text("dedup_key"),
                c.int4("attempt"),
                c.int4("max_attempts"),
                maxRuntimeMs == null ? null : Duration.ofMillis(maxRuntimeMs),
                c.time("scheduled_for"),
                c.time("create_time"),
                c.time("queue_time"),
                c.time("start_time"),
                c.time("end_time"),
                c.time("update_time"),
                c.text("worker_id"),
                c.int8("revision"));
    }

    static Step step(Columns c) {
        return new Step(c.text("name"), StepState.valueOf(c.text("status")), c.time("start_time"),
                c.time("end_time"), c.text("message"), c.json("metrics"));
    }

    static Map<String, String> labels(String json) {
        if (json == null || json.equals("{}")) { // most executions: spare Gson's reader and its buffer
            return Map.of();
        }
        Map<String, String> labels = GSON.fromJson(json, STRING_MAP);
        return labels == null ? Map.of() : labels;
    }

    static String labelsJson(Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) { // most executions
            return "{}";
        }
        return GSON.toJson(labels);
    }
}
