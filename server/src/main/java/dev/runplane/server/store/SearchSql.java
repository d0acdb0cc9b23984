package dev.runplane.server.store;

import dev.runplane.server.core.search.PageTokens;
import dev.runplane.server.core.search.SearchFilter;
import dev.runplane.server.core.search.SearchOrder;
import io.r2dbc.spi.Statement;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Builds one Search statement: the filter's conditions ({@link SearchConditions}, every value a bind
 * parameter), the order, the cursor and the page. Free text goes through {@code plainto_tsquery},
 * which reads words and ignores tsquery syntax ({@code & | ! : *}).
 *
 * <p>The search indexes leave out executions that hold a lease (V8): a running version lives for
 * seconds, and entering it in seven indexes was about a tenth of the database's work per execution.
 * So the statement has up to two parts, each with its partial indexes: executions without a lease
 * ({@link #WITHOUT_LEASE}), and those with one ({@link #WITH_LEASE}, through executions_running and
 * executions_leases); a page merges the two parts' first rows. In create-time (V10) and start-time
 * (V11) orders the leased part walks an index of leased rows in the page's order, from the page's
 * position to the other part's last row; in end-time and execution-time orders, where leased rows
 * have no value, it walks the primary key: at 5% of a million executions leased, reading and
 * sorting all of them cost 100-300 ms per search.
 */
final class SearchSql {

    /** The predicate of the V8 search indexes, exactly as they spell it. */
    static final String WITHOUT_LEASE = "status NOT IN (" + Sql.LEASED + ")";
    /** The executions the search indexes leave out. */
    static final String WITH_LEASE = "status IN (" + Sql.LEASED + ")";

    /** The filter's conditions and every bound value of the statement. */
    private final SearchConditions conditions = new SearchConditions();
    /** The rows after the cursor as two ranges of one index, or null ({@link #after}). */
    private List<String> ranges;
    private String statement;

    static SearchSql page(SearchFilter filter, String text, SearchOrder order, PageTokens.Cursor after, int limit) {
        SearchSql sql = new SearchSql();
        sql.conditions.filter(filter, text);
        if (after != null) {
            sql.after(order, after);
        }
        String orderBy = " ORDER BY " + orderBy(order);
        String limitParam = sql.param(limit);
        String top = orderBy + " LIMIT " + limitParam;
        List<String> parts = parts(filter);
        boolean leasedCanFollow = leasedCanFollow(order, after);
        if (parts.size() == 2 && !leasedCanFollow) {
            parts = List.of(WITHOUT_LEASE);
        }
        if (parts.size() == 1) {
            if (parts.get(0).equals(WITHOUT_LEASE)) {
                sql.statement = sql.withoutLease(top) + top;
            } else {
                String bound = leasedCanFollow ? sql.leasedAfter(order, after) : " AND FALSE";
                sql.statement = sql.withLease() + bound + leasedOrderBy(order) + " LIMIT " + limitParam;
            }
            return sql;
        }
        String leased = sql.withLease() + sql.leasedAfter(order, after);
        String edge = "";
        String bound = edgeBound(order);
        if (bound != null) {
            // The page's rows sort before the other part's last row when it found a whole page: the
            // leased rows beyond it cannot reach the page. An index has the leased rows in the page's
            // order, so the bound is an index condition and the leased part stops where the page ends.
            edge = ", edge AS (SELECT " + expression(order.key()) + " AS value, id FROM unleased" + orderBy
                    + " OFFSET " + sql.param(limit - 1) + " LIMIT 1)";
            leased += bound;
        }
        sql.statement = "WITH unleased AS MATERIALIZED (" + sql.withoutLease(top) + top + ")" + edge
                + " SELECT * FROM (SELECT * FROM unleased UNION ALL (" + leased + leasedOrderBy(order) + " LIMIT "
                + limitParam + ")) AS found" + top;
        return sql;
    }

    /**
     * Whether a leased execution can sort after the cursor. One holds a lease only between a claim
     * and the end of its attempt: it has a start time (set by the claim), and no end time (set only
     * on entering a terminal status, which is never left: core/Transitions, and the store's UPDATEs).
     * So in start-time order it sorts before the executions that never started (last in ascending
     * order), and in end-time and execution-time orders among those that have no end (first in
     * descending order). A cursor past those places leaves no leased execution for the page.
     */
    private static boolean leasedCanFollow(SearchOrder order, PageTokens.Cursor after) {
        if (after == null) {
            return true;
        }
        return switch (order.key()) {
            case START_TIME -> order.descending() || after.value() != null;
            case END_TIME, EXECUTION_TIME -> !order.descending() || after.value() == null;
            case CREATE_TIME, PRIORITY -> true;
        };
    }

    /**
     * The leased part's order. Leased executions have no end time ({@link #leasedCanFollow}), so in
     * end-time and execution-time orders they sort by id alone: the primary key has them in order.
     */
    private static String leasedOrderBy(SearchOrder order) {
        if (order.key() == SearchOrder.Key.END_TIME || order.key() == SearchOrder.Key.EXECUTION_TIME) {
            return " ORDER BY id" + (order.descending() ? " DESC" : " ASC");
        }
        return " ORDER BY " + orderBy(order);
    }

    /**
     * The cursor as an index condition of the leased part, where {@link #after} gives none that
     * serves leased rows: two {@link #ranges} (an OR for the leased part), or an OR. A
     * leased row has a start time, so after (value, id) in ascending start-time order is one range;
     * it has no end time, so after (none, id) in end-time or execution-time order it is the ids
     * beyond. Empty where after's own condition serves, or no cursor.
     */
    private String leasedAfter(SearchOrder order, PageTokens.Cursor cursor) {
        if (cursor == null) {
            return "";
        }
        String beyond = order.descending() ? " < " : " > ";
        return switch (order.key()) {
            case START_TIME -> order.descending() || cursor.value() == null ? ""
                    : " AND (start_time, id) > (" + value(order.key(), cursor.value()) + ", " + param(cursor.id())
                            + ")";
            case END_TIME, EXECUTION_TIME -> cursor.value() == null ? " AND id" + beyond + param(cursor.id()) : "";
            case CREATE_TIME, PRIORITY -> "";
        };
    }

    /**
     * The leased rows that sort before the other part's last row, the edge ({@code value}, its sort
     * value, and {@code id}), as a condition on the leased part's index; everything when that part
     * found no whole page (no edge). Null for priority, whose leased rows have no index in its order.
     * An edge with no value sorts after every value in descending order and before in ascending.
     */
    private static String edgeBound(SearchOrder order) {
        String lowest = "'00000000-0000-0000-0000-000000000000'";
        String highest = "'ffffffff-ffff-ffff-ffff-ffffffffffff'";
        return switch (order.key()) {
            case CREATE_TIME -> order.descending()
                    ? " AND (create_time, id) > (coalesce((SELECT value FROM edge), '-infinity'),"
                            + " coalesce((SELECT id FROM edge), " + lowest + "))"
                    : " AND (create_time, id) < (coalesce((SELECT value FROM edge), 'infinity'),"
                            + " coalesce((SELECT id FROM edge), " + highest + "))";
            // Leased rows have a start time: behind an edge without one in descending order.
            case START_TIME -> order.descending()
                    ? " AND (start_time, id) > (coalesce((SELECT coalesce(value, 'infinity') FROM edge), '-infinity'),"
                            + " coalesce((SELECT id FROM edge), " + lowest + "))"
                    : " AND (start_time, id) < (coalesce((SELECT value FROM edge), 'infinity'),"
                            + " coalesce((SELECT id FROM edge), " + highest + "))";
            // Leased rows have no end time: before an edge with one in descending order, only within
            // an edge without one (by id) in ascending order.
            case END_TIME, EXECUTION_TIME -> order.descending()
                    ? " AND id > coalesce((SELECT id FROM edge WHERE value IS NULL), " + lowest + ")"
                    : " AND id < coalesce((SELECT CASE WHEN value IS NULL THEN id ELSE " + lowest + "::uuid END"
                            + " FROM edge), " + highest + ")";
            case PRIORITY -> null;
        };
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
        return "SELECT " + ExecutionReader.COLUMNS + " FROM executions WHERE " + conditions.where() + " AND " + part;
    }

    /**
     * The leased part's rows: the filter, and the cursor's two {@link #ranges} as one condition (exact,
     * but no index condition: {@link #leasedAfter} adds the one that serves the leased rows).
     */
    private String withLease() {
        String select = select(WITH_LEASE);
        return ranges == null ? select : select + " AND (" + String.join(" OR ", ranges) + ")";
    }

    /**
     * The part without a lease, to be followed by its ORDER BY and LIMIT: one range of an index, or
     * the first rows of each of two ranges ({@link #ranges}) merged.
     */
    private String withoutLease(String top) {
        if (ranges == null) {
            return select(WITHOUT_LEASE);
        }
        return ranges.stream().map(range -> "(" + select(WITHOUT_LEASE) + " AND " + range + top + ")")
                .collect(Collectors.joining(" UNION ALL ", "SELECT * FROM (", ") AS ranges"));
    }

    static SearchSql count(SearchFilter filter, String text) {
        SearchSql sql = new SearchSql();
        sql.conditions.filter(filter, text);
        sql.statement = parts(filter).stream()
                .map(part -> "(SELECT count(*) FROM executions WHERE " + sql.conditions.where() + " AND " + part + ")")
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
        return conditions.values();
    }

    void bind(Statement statement) {
        conditions.bind(statement);
    }

    private String param(Object value) {
        return conditions.param(value);
    }

    private void and(String condition) {
        conditions.and(condition);
    }

    /**
     * Rows after the cursor in the page order. NULL sort values (not started, not ended) count as
     * larger than every value, as PostgreSQL sorts them by default, so one index serves both directions.
     * So the rows after some positions are two ranges of the index: after (none, id) in descending
     * order, the rest of those without a value and then every one with a value; after (value, id) in
     * ascending order, the rest of those with a value and then every one without. An OR of the two
     * is no index condition (the index was read from its start and filtered: a page cost its depth),
     * so for start and end times, which have an index, the part without a lease reads each range on
     * its own ({@link #ranges}); the leased part bounds itself ({@link #leasedAfter}).
     */
    private void after(SearchOrder order, PageTokens.Cursor cursor) {
        if (order.tiesInClaimOrder()) {
            afterInClaimOrder(order, cursor);
            return;
        }
        String key = expression(order.key());
        String id = param(cursor.id());
        String beyond = order.descending() ? "<" : ">";
        boolean indexed = order.key() == SearchOrder.Key.START_TIME || order.key() == SearchOrder.Key.END_TIME;
        if (cursor.value() == null) {
            String nullsAfter = "(" + key + " IS NULL AND id " + beyond + " " + id + ")";
            if (!order.descending()) {
                and(nullsAfter);
            } else if (indexed) {
                ranges = List.of(nullsAfter, key + " IS NOT NULL");
            } else {
                and("(" + nullsAfter + " OR " + key + " IS NOT NULL)");
            }
            return;
        }
        String rowAfter = "(" + key + ", id) " + beyond + " (" + value(order.key(), cursor.value()) + ", " + id + ")";
        boolean nullable = order.key() != SearchOrder.Key.CREATE_TIME && order.key() != SearchOrder.Key.PRIORITY;
        if (order.descending() || !nullable) {
            and(rowAfter);
        } else if (indexed) {
            ranges = List.of(rowAfter, key + " IS NULL");
        } else {
            and("(" + rowAfter + " OR " + key + " IS NULL)");
        }
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
