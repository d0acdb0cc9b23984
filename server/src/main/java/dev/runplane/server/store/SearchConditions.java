package dev.runplane.server.store;

import dev.runplane.server.core.search.SearchFilter;
import io.r2dbc.spi.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The WHERE conditions of one Search statement and the values bound to its parameters, $1 first.
 * Every value the client sent becomes a parameter; the text holds only fixed fragments chosen by the
 * filter's shape. One value becomes {@code column = $n} rather than {@code = ANY($n)}, so that a
 * single pipeline walks its (pipeline, create_time, id) index in order instead of sorting.
 */
final class SearchConditions {

    private final StringBuilder where = new StringBuilder("TRUE");
    private final List<Object> values = new ArrayList<>();

    /** The conditions of a Search filter and its free text: every value a bind parameter. */
    void filter(SearchFilter f, String text) {
        if (!f.ids().isEmpty()) {
            and("id = ANY(" + param(f.ids().stream().map(UUID::toString).toArray(String[]::new)) + "::uuid[])");
        }
        oneOf("pipeline", f.pipelines());
        oneOf("status", f.statuses().stream().map(Enum::name).toList());
        oneOf("mode", f.modes().stream().map(Enum::name).toList());
        if (!f.labels().isEmpty()) {
            and("labels @> " + param(ExecutionReader.labelsJson(f.labels())) + "::jsonb");
        }
        if (f.parentId() != null) {
            and("parent_id = " + param(f.parentId()));
        }
        if (f.workerId() != null) {
            and("worker_id = " + param(f.workerId()));
        }
        range("create_time", f.createTime());
        range("start_time", f.startTime());
        range("end_time", f.endTime());
        if (f.minPriority() != null) {
            and("priority >= " + param(f.minPriority()));
        }
        if (f.maxPriority() != null) {
            and("priority <= " + param(f.maxPriority()));
        }
        if (text != null) {
            and("search_text @@ plainto_tsquery('simple', " + param(text) + ")");
        }
    }

    private void oneOf(String column, List<String> names) {
        if (names.size() == 1) {
            and(column + " = " + param(names.get(0)));
        } else if (!names.isEmpty()) {
            and(column + " = ANY(" + param(names.toArray(String[]::new)) + "::text[])");
        }
    }

    private void range(String column, SearchFilter.TimeRange range) {
        if (range.start() != null) {
            and(column + " >= " + param(range.start()));
        }
        if (range.end() != null) {
            and(column + " < " + param(range.end()));
        }
    }

    /** Binds a value and answers its parameter ({@code $n}). */
    String param(Object value) {
        values.add(value);
        return "$" + values.size();
    }

    void and(String condition) {
        where.append(" AND ").append(condition);
    }

    String where() {
        return where.toString();
    }

    List<Object> values() {
        return List.copyOf(values);
    }

    void bind(Statement statement) {
        for (int i = 0; i < values.size(); i++) {
            statement.bind(i, values.get(i));
        }
    }
}
