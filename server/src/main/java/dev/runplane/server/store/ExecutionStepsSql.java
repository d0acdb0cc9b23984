package dev.runplane.server.store;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.runplane.server.core.Step;
import java.util.List;

/**
 * The statements of the {@code execution_steps} table (V1): a worker's reported steps are
 * upserted by (execution_id, name), in the statement that changes their execution; GetExecution
 * reads them in the order they were first reported.
 */
final class ExecutionStepsSql {

    /** An execution's steps ($1), in their order. */
    static final String OF_EXECUTION = """
            SELECT name, status, start_time, end_time, message, metrics
            FROM execution_steps WHERE execution_id = $1 ORDER BY position
            """;

    private ExecutionStepsSql() {
    }

    /**
     * The CTE {@code st} that upserts the steps of each execution row {@code e} that the statement
     * changed: a step seen for the first time goes after the execution's others, a known one keeps
     * its place and the times it had unless the report brings new ones.
     *
     * @param source FROM items that include {@code e} and whatever {@code steps} reads
     * @param steps  SQL for the reported steps as a jsonb array ({@link #json}), e.g. {@code $7::jsonb}
     */
    static String upsert(String source, String steps) {
        return """
                st AS (
                    INSERT INTO execution_steps (execution_id, name, position, status, start_time, end_time, message, metrics)
                    SELECT e.id, s.step->>'name',
                        (SELECT count(*) FROM execution_steps WHERE execution_id = e.id)::int + s.ord::int,
                        s.step->>'status', (s.step->>'start_time')::timestamptz, (s.step->>'end_time')::timestamptz,
                        coalesce(s.step->>'message', ''), s.step->'metrics'
                    FROM %1$s, jsonb_array_elements(%2$s) WITH ORDINALITY AS s(step, ord)
                    ON CONFLICT (execution_id, name) DO UPDATE SET
                        status = EXCLUDED.status,
                        start_time = coalesce(EXCLUDED.start_time, execution_steps.start_time),
                        end_time = coalesce(EXCLUDED.end_time, execution_steps.end_time),
                        message = EXCLUDED.message,
                        metrics = coalesce(EXCLUDED.metrics, execution_steps.metrics)
                )""".formatted(source, steps);
    }

    /** Steps as the JSON array that {@link #upsert} reads; null when there are none. */
    static String json(List<Step> steps) {
        if (steps == null || steps.isEmpty()) {
            return null;
        }
        JsonArray array = new JsonArray();
        for (Step step : steps) {
            JsonObject o = new JsonObject();
            o.addProperty("name", step.name());
            o.addProperty("status", step.status().name());
            if (step.startTime() != null) {
                o.addProperty("start_time", step.startTime().toString());
            }
            if (step.endTime() != null) {
                o.addProperty("end_time", step.endTime().toString());
            }
            o.addProperty("message", step.message() == null ? "" : step.message());
            if (step.metricsJson() != null) {
                o.add("metrics", JsonParser.parseString(step.metricsJson()));
            }
            array.add(o);
        }
        return array.toString();
    }
}
