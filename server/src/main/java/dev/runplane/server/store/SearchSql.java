package dev.runplane.server.store;

import dev.runplane.server.core.PageTokens;
import dev.runplane.server.core.SearchFilter;
import dev.runplane.server.core.SearchOrder;
import io.r2dbc.spi.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Builds one Search statement. Every value the client sent is a bind parameter; the SQL text only
 * ever contains fixed fragments chosen by the filter's shape. Free text goes through
 * {@code plainto_tsquery}, which reads words and ignores tsquery syntax ({@code & | ! : *}).
 * One value becomes {@code column = $n} rather than {@code = ANY($n)}, so that a single pipeline
 * walks its (pipeline, create_time, id) index in order instead of sorting.
 *
 * <p>The search indexes leave out executions that hold a lease (V8): a running version lives for
 * seconds, and entering it in seven indexes was about a tenth of the database's work per execution.
 * So the statement has up to two parts, each with its partial indexes: executions without a lease
 * ({@link #WITHOUT_LEASE}), and those with one ({@link #WITH_LEASE}, through executions_running and
 * executions_leases); a page merges the two parts' first rows. In create-time order the leased part
 * reads only the leased rows between the page's position and the other part's last row (V10): at
 * 5% of a million executions leased, reading all of them cost ~100 ms per search.
 */
final class SearchSql {

    /** The predicate of the V8 search indexes, exactly as they spell it. */
    static final String WITHOUT_LEASE = "status NOT IN (" + Sql.LEASED + ")";
    /** The executions the search indexes leave out. */
    static final String WITH_LEASE = "status IN (" + Sql.LEASED + ")";

    private final StringBuilder where = new StringBuilder("TRUE");
    private final List<Object> values = new ArrayList<>();
    private String statement;

    static SearchSql page(SearchFilter filter, String text, SearchOrder order, PageTokens.Cursor after, int limit) {
        SearchSql sql = new SearchSql();
        sql.filter(filter, text);
        if (after != null) {
            sql.after(order, after);
        }
        String orderBy = " ORDER BY " + orderBy(order);
        String top = orderBy + " LIMIT " + sql.param(limit);
        List<String> parts = parts(filter);
        if (parts.size() == 1) {
            sql.statement = sql.select(parts.get(0)) + top;
            return sql;
        }
        String leased = sql.select(WITH_LEASE);
        String edge = "";
        if (order.key() == SearchOrder.Key.CREATE_TIME) {
            // The page's rows sort before the other part's last row when it found a whole page: the
            // leased rows beyond it cannot reach the page. executions_running has them in this order,
            // so the bound is an index condition and the leased part stops where the page ends.
            edge = ", edge AS (SELECT create_time, id FROM unleased" + orderBy + " OFFSET " + sql.param(limit - 1)
                    + " LIMIT 1)";
            leased += order.descending()
                    ? " AND (create_time, id) > (coalesce((SELECT create_time FROM edge), '-infinity'),"
                            + " coalesce((SELECT id FROM edge), '00000000-0000-0000-0000-000000000000'))"
                    : " AND (create_time, id) < (coalesce((SELECT create_time FROM edge), 'infinity'),"
                            + " coalesce((SELECT id FROM edge), 'ffffffff-ffff-ffff-ffff-ffffffffffff'))";
        }
        sql.statement = "WITH unleased AS MATERIALIZED (" + sql.select(WITHOUT_LEASE) + top + ")" + edge
                + " SELECT * FROM (SELECT * FROM unleased UNION ALL (" + leased + top + ")) AS found" + top;
        return sql;
    }

    /**
     * The sort: the key, then the id in the same direction; for priority the claim order breaks
     * ties in both directions (PostgresWorkerStore's {@code priority DESC, queue_time, id}).
     */
    static String orderBy(SearchOrder order) {
        String direction = order.descending() ? " DESC" : " ASC";
        String key = expression(order.key()) + direction;
        return order.tiesInClaimOrder() ? key + ", queue_time ASC, id ASC" : key + ", id" + direction;
    }

    private String select(String part) {
        return "SELECT " + ExecutionReader.COLUMNS + " FROM executions WHERE " + where + " AND " + part;
    }

    static SearchSql count(SearchFilter filter, String text) {
        SearchSql sql = new SearchSql();
        sql.filter(filter, text);
        sql.statement = parts(filter).stream()
                .map(part -> "(SELECT count(*) FROM executions WHERE " + sql.where + " AND " + part + ")")
                .collect(Collectors.joining(" + ", "SELECT ", ""));
        return sql;
    }

    /** The parts that the status filter leaves: both, or only the one its statuses fall in. */
    private static List<String> parts(SearchFilter filter) {
        if (filter.statuses().isEmpty()) {
            return List.of(WITHOUT_LEASE, WITH_LEASE);
        }
        boolean leased = filter.statuses().stream().anyMatch(Sql.LEASED_STATUSES::contains);
        boolean unleased = !Sql.LEASED_STATUSES.containsAll(filter.statuses());
        if (leased && unleased) {
            return List.of(WITHOUT_LEASE, WITH_LEASE);
        }
        return List.of(leased ? WITH_LEASE : WITHOUT_LEASE);
    }

    /** The whole statement: a page of executions' {@link ExecutionReader#COLUMNS}, or a count. */
    String statement() {
        return statement;
    }

    /** The values of the statement's parameters, $1 first. */
    List<Object> values() {
        return List.copyOf(values);
    }

    void bind(Statement statement) {
        for (int i = 0; i < values.size(); i++) {
            statement.bind(i, values.get(i));
        }
    }

    private String param(Object value) {
        values.add(value);
        return "$" + values.size();
    }

    private void and(String condition) {
        where.append(" AND ").append(condition);
    }

    private void filter(SearchFilter f, String text) {
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

    /**
     * Rows after the cursor in the page order. NULL sort values (not started, not ended) count as
     * larger than every value, as PostgreSQL sorts them by default, so one index serves both directions.
     */
    private void after(SearchOrder order, PageTokens.Cursor cursor) {
        if (order.tiesInClaimOrder()) {
            afterInClaimOrder(order, cursor);
            return;
        }
        String key = expression(order.key());
        String id = param(cursor.id());
        String beyond = order.descending() ? "<" : ">";
        if (cursor.value() == null) {
            String nullsAfter = "(" + key + " IS NULL AND id " + beyond + " " + id + ")";
            and(order.descending() ? "(" + nullsAfter + " OR " + key + " IS NOT NULL)" : nullsAfter);
            return;
        }
        String rowAfter = "(" + key + ", id) " + beyond + " (" + value(order.key(), cursor.value()) + ", " + id + ")";
        boolean nullable = order.key() != SearchOrder.Key.CREATE_TIME && order.key() != SearchOrder.Key.PRIORITY;
        and(!order.descending() && nullable ? "(" + rowAfter + " OR " + key + " IS NULL)" : rowAfter);
    }

    /**
     * Rows after the cursor in a priority order: a later priority, or the same one and later in the
     * claim order (queue time ascending, a never-queued execution after every queued one, then id).
     */
    private void afterInClaimOrder(SearchOrder order, PageTokens.Cursor cursor) {
        String priority = value(order.key(), cursor.value());
        String id = param(cursor.id());
        Long queued = cursor.tie().value();
        String tieAfter = queued == null ? "(queue_time IS NULL AND id > " + id + ")"
                : "((queue_time, id) > (" + value(SearchOrder.Key.CREATE_TIME, queued) + ", " + id + ")"
                        + " OR queue_time IS NULL)";
        and("(priority " + (order.descending() ? "<" : ">") + " " + priority + " OR (priority = " + priority
                + " AND " + tieAfter + "))");
    }

    private String value(SearchOrder.Key key, long value) {
        return switch (key) {
            case CREATE_TIME, START_TIME, END_TIME -> param(instant(value)) + "::timestamptz";
            case PRIORITY -> param((int) value) + "::integer";
            case EXECUTION_TIME -> "(" + param(value) + "::bigint * interval '1 microsecond')";
        };
    }

    static String expression(SearchOrder.Key key) {
        return switch (key) {
            case CREATE_TIME -> "create_time";
            case START_TIME -> "start_time";
            case END_TIME -> "end_time";
            case PRIORITY -> "priority";
            case EXECUTION_TIME -> "(end_time - start_time)";
        };
    }

    private static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
}
