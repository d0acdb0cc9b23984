package dev.runplane.server.store;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionMode;
import dev.runplane.server.core.ExecutionStatus;
import dev.runplane.server.core.Step;
import dev.runplane.server.core.StepStatus;
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
final class ExecutionReader {

    /** Every column an execution is read from; the search vector stays in the database. */
    static final String COLUMNS = "id, pipeline, status, mode, priority, labels, inputs, outputs, message, error, "
            + "trigger_kind, trigger_actor, trigger_variables, parent_id, rerun_of, duplicate_of, request_id, "
            + "request_fingerprint, dedup_key, attempt, max_attempts, max_runtime_ms, scheduled_for, create_time, "
            + "queue_time, start_time, end_time, update_time, worker_id, lease_token, lease_expire_time, cancel_time, "
            + "revision";

    /** Columns an event's snapshot leaves out: the bulky ones, and the lease token (a worker's credential). */
    private static final Set<String> NOT_IN_SNAPSHOT = Set.of("inputs", "outputs", "lease_token");

    /** The columns of an event's snapshot, in the order of its format 1 (see {@link #SNAPSHOT}). */
    static final List<String> SNAPSHOT_COLUMNS = Arrays.stream(COLUMNS.split(", "))
            .filter(column -> !NOT_IN_SNAPSHOT.contains(column))
            .toList();

    /** The format of the snapshots that {@link #SNAPSHOT} writes: the first element of the array. */
    static final int SNAPSHOT_FORMAT = 1;

    /**
     * An event's snapshot of the execution row {@code e} of the statement that writes the event (its
     * RETURNING columns are {@link #COLUMNS}): one {@code jsonb_build_array} of the format number and
     * then the {@link #SNAPSHOT_COLUMNS} by position. An object keyed by column name (what versions
     * before 0.2 wrote, still read by {@link SnapshotColumns}) cost three times the CPU to build
     * (jsonb sorts its keys) and twice the bytes: measured per event, 11.7 µs and 774 bytes against
     * 3.6 µs and 356 bytes; with three events per execution that was a sixth of its WAL.
     */
    static final String SNAPSHOT = SNAPSHOT_COLUMNS.stream()
            .map(column -> "e." + column)
            .collect(Collectors.joining(", ", "jsonb_build_array(" + SNAPSHOT_FORMAT + ", ", ")"));

    /** SQL for one column of a snapshot of either format, as text (jsonb {@code ->>}); e.g. {@code pipeline}. */
    static String snapshotText(String column) {
        int position = SNAPSHOT_COLUMNS.indexOf(column) + 1;
        if (position == 0) {
            throw new IllegalArgumentException(column + " is not in the snapshot");
        }
        return "coalesce(snapshot->>" + position + ", snapshot->>'" + column + "')";
    }

    private static final Gson GSON = new Gson();
    private static final Type STRING_MAP = new TypeToken<Map<String, String>>() { }.getType();

    private ExecutionReader() {
    }

    static Execution execution(Columns c) {
        Long maxRuntimeMs = c.int8("max_runtime_ms");
        return new Execution(
                c.uuid("id"),
                c.text("pipeline"),
                ExecutionStatus.valueOf(c.text("status")),
                ExecutionMode.valueOf(c.text("mode")),
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
        return new Step(c.text("name"), StepStatus.valueOf(c.text("status")), c.time("start_time"),
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
        return GSON.toJson(labels == null ? Map.of() : labels);
    }
}
