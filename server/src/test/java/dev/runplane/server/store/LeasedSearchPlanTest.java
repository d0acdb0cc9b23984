package dev.runplane.server.store;

import dev.runplane.server.core.PageTokens;
import dev.runplane.server.core.SearchFilter;
import dev.runplane.server.core.SearchOrder;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leased part of a search in create-time order reads only the leased executions that can still
 * reach the page (V10): it walks executions_running from the page's position and stops at the last
 * row that the part without a lease found. Before, a search without a pipeline read every leased
 * execution and sorted them (50,000 in SearchBenchmark: ~100 ms). SearchBenchmark's shape at a
 * twentieth of its size: 50,000 executions over 30 days, 5% of them leased and spread over all of
 * that time (a search that read them all reads 2,500), a label of 7 values and one of 50 (as many
 * rows per value as the benchmark's twins), an error code on 1 in 20 of the failed executions (the
 * span of a page of them, a fifth of the time, is what the benchmark's "E42" spans). What the leased
 * part then reads is the leased rows created within the page's span (those of other pipelines are
 * passed over inside the index), so a filter that matches few executions over a long time reads more.
 */
class LeasedSearchPlanTest {

    private static final int LIMIT = 51;

    private static DatabaseAddress address;

    @BeforeAll
    static void seed() throws SQLException {
        address = SeededDatabase.with("""
                INSERT INTO executions (id, pipeline, status, mode, priority, labels, inputs, trigger_kind,
                    max_attempts, scheduled_for, create_time, queue_time, update_time, start_time, end_time,
                    message, error, revision, attempt)
                SELECT gen_random_uuid(), 'pipeline-' || (g % 50), s.status, 'PRODUCTION', 0,
                    jsonb_build_object('twin', 'twin-' || abs(hashint8(g + 2) % 50), 'team', 'team-' || (g % 7)),
                    '{}', 'API', 1, t.created, t.created, t.created, t.created,
                    CASE WHEN s.status <> 'QUEUED' THEN t.created + interval '1 second' END,
                    CASE WHEN s.status NOT IN ('QUEUED', 'RUNNING') THEN t.created + interval '2 seconds' END,
                    'processed ' || (g % 1000) || ' rows',
                    CASE WHEN s.status = 'FAILED' THEN 'error code E' || abs(hashint8(g + 3) % 20) ELSE '' END,
                    3, 1
                FROM generate_series(1, 50000) g,
                LATERAL (SELECT now() - g * interval '52 seconds' AS created) t,
                LATERAL (SELECT CASE abs(hashint8(g) % 20) WHEN 18 THEN 'RUNNING' WHEN 19 THEN 'QUEUED'
                    WHEN 17 THEN 'FAILED' WHEN 16 THEN 'FAILED' ELSE 'SUCCEEDED' END AS status) s
                """);
    }

    private static SearchFilter labels(Map<String, String> labels) {
        SearchFilter all = SearchFilter.ALL;
        return new SearchFilter(all.ids(), all.pipelines(), all.statuses(), all.modes(), labels, null, null,
                all.createTime(), all.startTime(), all.endTime(), null, null);
    }

    @Test
    void theLeasedPartWalksItsIndexAndStopsAtThePagesEnd() throws SQLException {
        PageTokens.Cursor page100;
        long leasedInAll;
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT (extract(epoch FROM create_time) * 1000000)::bigint, id"
                    + " FROM executions ORDER BY create_time DESC, id DESC OFFSET " + (99 * (LIMIT - 1) - 1)
                    + " LIMIT 1")) {
                r.next();
                page100 = new PageTokens.Cursor(r.getLong(1), r.getObject(2, UUID.class));
            }
            try (ResultSet r = s.executeQuery("SELECT count(*) FROM executions WHERE status = 'RUNNING'")) {
                r.next();
                leasedInAll = r.getLong(1);
            }
        }
        Map<String, SearchSql> searches = new LinkedHashMap<>();
        searches.put("everything, newest first", SearchSql.page(SearchFilter.ALL, null, SearchOrder.DEFAULT, null,
                LIMIT));
        searches.put("everything, page 100", SearchSql.page(SearchFilter.ALL, null, SearchOrder.DEFAULT, page100,
                LIMIT));
        searches.put("everything, oldest first", SearchSql.page(SearchFilter.ALL, null,
                new SearchOrder(SearchOrder.Key.CREATE_TIME, false), null, LIMIT));
        searches.put("a label of 7 values", SearchSql.page(labels(Map.of("team", "team-3")), null,
                SearchOrder.DEFAULT, null, LIMIT));
        searches.put("a label of 50 values", SearchSql.page(labels(Map.of("twin", "twin-42")), null,
                SearchOrder.DEFAULT, null, LIMIT));
        searches.put("free text, 1 in 20 failed", SearchSql.page(SearchFilter.ALL, "E7", SearchOrder.DEFAULT,
                null, LIMIT));
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            s.execute("SET plan_cache_mode = force_custom_plan"); // as the search pool
            for (Map.Entry<String, SearchSql> search : searches.entrySet()) {
                String plan = SearchPlanTest.explain(c, "EXPLAIN (ANALYZE, COSTS OFF) ", search.getValue());
                Matcher leased = Pattern.compile("Index Scan(?: Backward)? using executions_running on executions"
                        + "(?: \\w+)? \\(actual time=\\S+ rows=(\\d+) loops=1\\)((?:\\n +[^-\\s][^\\n]*)*)")
                        .matcher(plan);
                assertTrue(leased.find(), search.getKey() + ": the leased part walks executions_running\n" + plan);
                assertTrue(Pattern.compile("Index Cond: .*ROW\\(create_time, id\\) [<>] ROW\\(COALESCE\\(\\(InitPlan")
                                .matcher(leased.group(2)).find(),
                        search.getKey() + ": bounded by the other part's last row, in the index\n" + plan);
                Matcher removed = Pattern.compile("Rows Removed by Filter: (\\d+)").matcher(leased.group(2));
                long read = Long.parseLong(leased.group(1)) + (removed.find() ? Long.parseLong(removed.group(1)) : 0);
                assertTrue(read < leasedInAll / 3, search.getKey() + ": read " + read + " of " + leasedInAll
                        + " leased rows\n" + plan);
            }
        }
    }
}
