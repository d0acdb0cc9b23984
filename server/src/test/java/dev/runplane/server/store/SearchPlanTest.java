package dev.runplane.server.store;

import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.search.PageTokens;
import dev.runplane.server.core.search.SearchFilter;
import dev.runplane.server.core.search.SearchOrder;
import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The search indexes leave out executions that hold a lease (V8), and Search still finds every
 * execution in order: each part of the statement walks an index (never the table), and the merged
 * pages equal what a plain sort of the whole table gives. 19,577 succeeded executions, 513 running
 * or cancelling and 410 queued (half of them retried: a start time, no end time), over four
 * pipelines, their create times interleaved, their ids random.
 */
class SearchPlanTest {

    private static DatabaseAddress address;
    private static Database database;

    @BeforeAll
    static void seed() throws SQLException {
        address = SeededDatabase.with("""
                INSERT INTO executions (id, pipeline, status, mode, priority, labels, inputs, trigger_kind,
                    max_attempts, scheduled_for, create_time, queue_time, update_time, start_time, end_time,
                    message, revision, attempt, lease_token, lease_expire_time, lease_duration_ms, worker_id)
                SELECT gen_random_uuid(), 'p' || (i % 4), status, 'PRODUCTION', i % 3,
                    CASE WHEN i % 10 = 0 THEN '{"team": "blue"}'::jsonb ELSE '{}'::jsonb END, '{}', 'API', 1,
                    now(), created, created, now(),
                    CASE WHEN status <> 'QUEUED' OR i % 100 = 1 THEN created + (i % 13) * interval '1 second' END,
                    CASE WHEN status = 'SUCCEEDED' THEN created + (i % 13 + i % 97) * interval '1 second' END,
                    CASE WHEN i % 7 = 0 THEN 'resized the images' ELSE '' END, 3, 1, 't',
                    CASE WHEN status IN ('RUNNING', 'CANCELLING') THEN now() + interval '1 hour' END, 60000, 'w'
                FROM (SELECT i, now() - i * interval '1 second' AS created,
                             CASE WHEN i % 50 = 0 THEN 'RUNNING' WHEN i % 50 = 1 THEN 'QUEUED'
                                  WHEN i % 200 = 2 THEN 'CANCELLING' ELSE 'SUCCEEDED' END AS status
                      FROM generate_series(1, 20500) i) g
                """);
        database = Database.open(address, 2);
    }

    @AfterAll
    static void close() {
        if (database != null) {
            database.close();
        }
    }

    private static SearchFilter filter(List<String> pipelines, List<ExecutionState> statuses,
                                       Map<String, String> labels) {
        SearchFilter all = SearchFilter.ALL;
        return new SearchFilter(all.ids(), pipelines, statuses, all.modes(), labels, null, null, all.createTime(),
                all.startTime(), all.endTime(), null, null);
    }

    @Test
    void eachPartWalksAnIndexNeverTheTable() throws SQLException {
        List<SearchSql> searches = List.of(
                SearchSql.page(SearchFilter.ALL, null, SearchOrder.DEFAULT, null, 50),
                SearchSql.page(filter(List.of("p1"), List.of(), Map.of()), null, SearchOrder.DEFAULT, null, 50),
                SearchSql.page(filter(List.of("p1"), List.of(ExecutionState.RUNNING), Map.of()), null,
                        SearchOrder.DEFAULT, null, 50),
                SearchSql.page(filter(List.of("p2"), List.of(ExecutionState.SUCCEEDED), Map.of()), null,
                        SearchOrder.DEFAULT, null, 50),
                SearchSql.page(filter(List.of(), List.of(), Map.of("team", "blue")), null, SearchOrder.DEFAULT, null,
                        50),
                SearchSql.page(SearchFilter.ALL, "resized", SearchOrder.DEFAULT, null, 50),
                SearchSql.page(SearchFilter.ALL, null, new SearchOrder(SearchOrder.Key.END_TIME, true), null, 50));
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            s.execute("SET plan_cache_mode = force_custom_plan"); // as the search pool
            for (SearchSql search : searches) {
                String plan = explain(c, "EXPLAIN ", search);
                assertFalse(plan.contains("Seq Scan"), search.statement() + "\n" + plan);
            }
            String runningOfOnePipeline = explain(c, "EXPLAIN ", searches.get(2));
            assertTrue(runningOfOnePipeline.contains("executions_running")
                    || runningOfOnePipeline.contains("executions_leases"), runningOfOnePipeline);
            assertFalse(runningOfOnePipeline.contains("UNION") || runningOfOnePipeline.contains("Append"),
                    "a status filter of leased statuses only needs one part: " + runningOfOnePipeline);
        }
    }

    @Test
    void mergedPagesEqualASortOfTheWholeTable() throws SQLException {
        PostgresExecutionQueries queries = new PostgresExecutionQueries(database.pool(), database.customPlans());
        for (SearchOrder order : List.of(SearchOrder.DEFAULT, new SearchOrder(SearchOrder.Key.CREATE_TIME, false),
                new SearchOrder(SearchOrder.Key.START_TIME, true), new SearchOrder(SearchOrder.Key.END_TIME, false),
                new SearchOrder(SearchOrder.Key.EXECUTION_TIME, true))) {
            String key = SearchSql.expression(order.key());
            String direction = order.descending() ? " DESC" : " ASC";
            List<UUID> expected = ids("SELECT id FROM executions WHERE pipeline = 'p0' ORDER BY " + key + direction
                    + ", id" + direction + " LIMIT 700");
            List<UUID> found = new ArrayList<>();
            PageTokens.Cursor after = null;
            while (found.size() < 700) { // pages of 100, each after the last one's cursor
                List<Execution> page = queries.search(filter(List.of("p0"), List.of(), Map.of()), null, order,
                                after, 100)
                        .collectList().block(Duration.ofSeconds(30));
                page.forEach(e -> found.add(e.id()));
                Execution last = page.get(page.size() - 1);
                after = new PageTokens.Cursor(order.valueOf(last), last.id());
            }
            assertEquals(expected, found, "order " + order);
        }
        // Without a pipeline the leased part stops at the other part's last row (create and start
        // times: V10, V11), or walks the ids of the executions without an end time (end and
        // execution times); a deep page reads two ranges where executions without the key meet the
        // others. Pages over everything and over a label, to the last one, give a plain sort's rows.
        // Leased executions alone are one part, in the leased part's order and bounds.
        Map<String, SearchFilter> wide = Map.of("", SearchFilter.ALL,
                "WHERE labels @> '{\"team\": \"blue\"}' ", filter(List.of(), List.of(), Map.of("team", "blue")),
                "WHERE status IN ('RUNNING', 'CANCELLING') ", filter(List.of(),
                        List.of(ExecutionState.RUNNING, ExecutionState.CANCELLING), Map.of()));
        for (SearchOrder.Key key : List.of(SearchOrder.Key.CREATE_TIME, SearchOrder.Key.START_TIME,
                SearchOrder.Key.END_TIME, SearchOrder.Key.EXECUTION_TIME)) {
            for (boolean descending : new boolean[] {true, false}) {
                SearchOrder order = new SearchOrder(key, descending);
                for (Map.Entry<String, SearchFilter> f : wide.entrySet()) {
                    int pageSize = f.getKey().isEmpty() ? 200 : 50;
                    String direction = descending ? " DESC" : " ASC";
                    List<UUID> expected = ids("SELECT id FROM executions " + f.getKey() + "ORDER BY "
                            + SearchSql.expression(key) + direction + ", id" + direction);
                    List<UUID> found = new ArrayList<>();
                    PageTokens.Cursor after = null;
                    List<Execution> page;
                    do { // pages, each after the last one's cursor, to the end
                        page = queries.search(f.getValue(), null, order, after, pageSize)
                                .collectList().block(Duration.ofSeconds(30));
                        page.forEach(e -> found.add(e.id()));
                        if (!page.isEmpty()) {
                            Execution last = page.get(page.size() - 1);
                            after = new PageTokens.Cursor(order.valueOf(last), last.id());
                        }
                    } while (page.size() == pageSize);
                    assertEquals(expected, found, "order " + order + ", " + f.getKey());
                }
            }
        }
        long leased = ids("SELECT id FROM executions WHERE status IN ('RUNNING', 'CANCELLING')").size();
        assertEquals(20_500L, queries.count(SearchFilter.ALL, null).block(Duration.ofSeconds(30)));
        SearchFilter leasedOnly = filter(List.of(), List.of(ExecutionState.RUNNING, ExecutionState.CANCELLING),
                Map.of());
        assertEquals(leased, queries.count(leasedOnly, null).block(Duration.ofSeconds(30)));
    }

    private static List<UUID> ids(String sql) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement();
             ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                ids.add(r.getObject(1, UUID.class));
            }
        }
        return ids;
    }

    /** EXPLAIN of the statement with its values bound ($n, which may repeat, become JDBC's ?). */
    static String explain(Connection c, String explain, SearchSql search) throws SQLException {
        Matcher m = Pattern.compile("\\$(\\d+)").matcher(search.statement());
        StringBuilder sql = new StringBuilder(explain);
        List<Object> bound = new ArrayList<>();
        while (m.find()) {
            m.appendReplacement(sql, "?");
            bound.add(search.values().get(Integer.parseInt(m.group(1)) - 1));
        }
        m.appendTail(sql);
        try (PreparedStatement p = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < bound.size(); i++) {
                // JDBC has no mapping for Instant (the R2DBC driver has): as a timestamptz.
                Object value = bound.get(i);
                p.setObject(i + 1, value instanceof Instant time ? time.atOffset(ZoneOffset.UTC) : value);
            }
            List<String> lines = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    lines.add(r.getString(1));
                }
            }
            return String.join("\n", lines);
        }
    }
}
