package dev.runplane.server.store;

import dev.runplane.server.core.search.PageTokens;
import dev.runplane.server.core.search.SearchFilter;
import dev.runplane.server.core.search.SearchOrder;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * Ids are time-ordered, as the server makes them: the primary key's order follows the table's.
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
                SELECT -- a version 7 UUID from the create time, as the server's (store/Ids) and the benchmark's
                    (lpad(to_hex((extract(epoch FROM t.created) * 1000)::bigint), 12, '0') || '7'
                        || substr(md5(g::text), 1, 3) || '8' || substr(md5(g::text), 4, 15))::uuid,
                    'pipeline-' || (g % 50), s.status, 'PRODUCTION', 0,
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

    /**
     * Free text finds its leased rows through their own text index (V12), not by a walk of every
     * leased row created within the page's span (which, for a word that few executions carry, spans
     * weeks: ~15,000 leased rows for SearchBenchmark's "E42"). Here the word, a message's row count,
     * is on 1 in 1,000 executions, leased ones among them.
     */
    @Test
    void freeTextReadsTheLeasedRowsThatHaveItsWords() throws SQLException {
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            s.execute("SET plan_cache_mode = force_custom_plan"); // as the search pool
            String plan = SearchPlanTest.explain(c, "EXPLAIN (ANALYZE, COSTS OFF) ",
                    SearchSql.page(SearchFilter.ALL, "417", SearchOrder.DEFAULT, null, LIMIT));
            assertTrue(plan.contains("Bitmap Index Scan on executions_running_search_text"),
                    "the leased part reads through executions_running_search_text\n" + plan);
            assertFalse(plan.contains("using executions_running on"), "no walk of every leased row\n" + plan);
        }
    }

    /**
     * In start-time, end-time and execution-time orders too, the leased part walks an index in the
     * page's order and stops after a page or at the other part's last row; before, it read every
     * leased execution and sorted them (2,500 here; 50,000 in SearchBenchmark, 100-300 ms). Start
     * times: executions_running_start_time (V11). End and execution times: a leased execution has
     * none (only a terminal status sets an end time), so the leased rows sort among the executions
     * without one, by id, and the primary key serves them; where the page is past that group, the
     * statement has no leased part at all.
     */
    @Test
    void inTheOtherTimeOrdersTheLeasedPartWalksAnIndexInThePagesOrder() throws SQLException {
        SearchOrder startDesc = new SearchOrder(SearchOrder.Key.START_TIME, true);
        SearchOrder startAsc = new SearchOrder(SearchOrder.Key.START_TIME, false);
        SearchOrder endDesc = new SearchOrder(SearchOrder.Key.END_TIME, true);
        SearchOrder endAsc = new SearchOrder(SearchOrder.Key.END_TIME, false);
        SearchOrder executionTimeDesc = new SearchOrder(SearchOrder.Key.EXECUTION_TIME, true);
        long leasedInAll;
        Map<String, SearchSql> searches = new LinkedHashMap<>();
        Map<String, SearchSql> withoutLeasedPart = new LinkedHashMap<>();
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT count(*) FROM executions WHERE status = 'RUNNING'")) {
                r.next();
                leasedInAll = r.getLong(1);
            }
            searches.put("start time desc", SearchSql.page(SearchFilter.ALL, null, startDesc, null, LIMIT));
            // Page 100 is past the executions that never started (the 5% queued): among started ones.
            searches.put("start time desc, page 100", SearchSql.page(SearchFilter.ALL, null, startDesc,
                    cursor(s, startDesc, 99), LIMIT));
            searches.put("started in the last 7 days, start time desc", SearchSql.page(startedSince(7), null,
                    startDesc, null, LIMIT));
            searches.put("start time asc, page 100", SearchSql.page(SearchFilter.ALL, null, startAsc,
                    cursor(s, startAsc, 99), LIMIT));
            searches.put("end time desc", SearchSql.page(SearchFilter.ALL, null, endDesc, null, LIMIT));
            // Page 80 is still among the executions without an end time (queued and running: 10%).
            searches.put("end time desc, page 80", SearchSql.page(SearchFilter.ALL, null, endDesc,
                    cursor(s, endDesc, 79), LIMIT));
            searches.put("end time asc", SearchSql.page(SearchFilter.ALL, null, endAsc, null, LIMIT));
            searches.put("execution time desc", SearchSql.page(SearchFilter.ALL, null, executionTimeDesc, null,
                    LIMIT));
            withoutLeasedPart.put("end time desc, page 200", SearchSql.page(SearchFilter.ALL, null, endDesc,
                    cursor(s, endDesc, 199), LIMIT));
            withoutLeasedPart.put("execution time desc, page 200", SearchSql.page(SearchFilter.ALL, null,
                    executionTimeDesc, cursor(s, executionTimeDesc, 199), LIMIT));
            try (ResultSet r = s.executeQuery("SELECT id FROM executions WHERE start_time IS NULL ORDER BY id"
                    + " OFFSET 100 LIMIT 1")) { // last in ascending order, after every started execution
                r.next();
                withoutLeasedPart.put("start time asc, among the never started", SearchSql.page(SearchFilter.ALL,
                        null, startAsc, new PageTokens.Cursor(null, r.getObject(1, UUID.class)), LIMIT));
            }
        }
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            s.execute("SET plan_cache_mode = force_custom_plan"); // as the search pool
            for (Map.Entry<String, SearchSql> search : searches.entrySet()) {
                String plan = SearchPlanTest.explain(c, "EXPLAIN (ANALYZE, COSTS OFF) ", search.getValue());
                List<String> lines = List.of(plan.split("\n"));
                int scan = leasedScan(lines);
                assertTrue(scan >= 0, search.getKey() + ": the leased part is one scan\n" + plan);
                assertTrue(lines.get(scan).contains("Index Scan"), search.getKey() + ": through an index\n" + plan);
                assertTrue(lines.get(parent(lines, scan)).contains("Limit"),
                        search.getKey() + ": read in the page's order, no sort of the leased rows\n" + plan);
                long read = rowsRead(lines, scan);
                assertTrue(read < leasedInAll / 2, search.getKey() + ": read " + read + " rows for "
                        + leasedInAll + " leased\n" + plan);
            }
            for (Map.Entry<String, SearchSql> search : withoutLeasedPart.entrySet()) {
                assertFalse(search.getValue().statement().contains(SearchSql.WITH_LEASE),
                        search.getKey() + ": no leased execution can be on the page\n" + search.getValue().statement());
                String plan = SearchPlanTest.explain(c, "EXPLAIN (ANALYZE, COSTS OFF) ", search.getValue());
                assertEquals(-1, leasedScan(List.of(plan.split("\n"))), search.getKey() + "\n" + plan);
            }
        }
    }

    /**
     * A deep page in start-time or end-time order reads about a page from each index, as page 1
     * does. Executions without the key sort last in ascending order and first in descending order,
     * so the rows after some positions are two ranges of the index (the rest of the executions with
     * a value, and those without one); read as one condition with an OR, which no index can use, the
     * part without a lease read every row before the position (4,950 at page 100, 150,000 at page
     * 3,000 of the benchmark: 150 ms).
     */
    @Test
    void deepPagesOfStartAndEndTimeOrdersReadAboutAPage() throws SQLException {
        Map<String, SearchSql> searches = new LinkedHashMap<>();
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            for (SearchOrder.Key key : List.of(SearchOrder.Key.START_TIME, SearchOrder.Key.END_TIME)) {
                for (boolean descending : new boolean[] {true, false}) {
                    SearchOrder order = new SearchOrder(key, descending);
                    // Page 30 of start time desc and end time desc is among the executions without the key.
                    for (int page : new int[] {30, 100, 500}) {
                        searches.put(order + ", page " + page, SearchSql.page(SearchFilter.ALL, null, order,
                                cursor(s, order, page - 1), LIMIT));
                    }
                }
            }
        }
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            s.execute("SET plan_cache_mode = force_custom_plan"); // as the search pool
            for (Map.Entry<String, SearchSql> search : searches.entrySet()) {
                String plan = SearchPlanTest.explain(c, "EXPLAIN (ANALYZE, COSTS OFF) ", search.getValue());
                List<String> lines = List.of(plan.split("\n"));
                int leased = leasedScan(lines);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i);
                    if (i != leased && line.matches(".*Index Scan.* using executions_\\w+ on .*")) {
                        long read = rowsRead(lines, i);
                        assertTrue(read <= 2 * LIMIT, search.getKey() + ": read " + read + " rows\n" + plan);
                    }
                }
            }
        }
    }

    /** The position of the last row of the given page (pages of LIMIT - 1 rows) in the order. */
    private static PageTokens.Cursor cursor(Statement s, SearchOrder order, int page) throws SQLException {
        String key = SearchSql.expression(order.key());
        String direction = order.descending() ? " DESC" : " ASC";
        try (ResultSet r = s.executeQuery("SELECT (extract(epoch FROM " + key + ") * 1000000)::bigint, id"
                + " FROM executions ORDER BY " + key + direction + ", id" + direction + " OFFSET "
                + (page * (LIMIT - 1) - 1) + " LIMIT 1")) {
            r.next();
            long value = r.getLong(1);
            return new PageTokens.Cursor(r.wasNull() ? null : value, r.getObject(2, UUID.class));
        }
    }

    private static SearchFilter startedSince(int days) {
        SearchFilter all = SearchFilter.ALL;
        return new SearchFilter(all.ids(), all.pipelines(), all.statuses(), all.modes(), all.labels(), null, null,
                all.createTime(), new SearchFilter.TimeRange(Instant.now().minus(Duration.ofDays(days)), null),
                all.endTime(), null, null);
    }

    /** The line of the plan node that reads the leased rows (an index on them, or their status), or -1. */
    private static int leasedScan(List<String> lines) {
        int found = -1;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.matches(".*(Scan|Scan Backward) (using|on) .*") || line.contains("Bitmap Index Scan")) {
                continue;
            }
            boolean leased = line.contains("executions_running") || line.contains("executions_leases");
            for (int j = i + 1; j < lines.size() && !lines.get(j).contains("->"); j++) {
                leased |= lines.get(j).matches(".*status = ANY \\('\\{(CANCELLING,RUNNING|RUNNING,CANCELLING)}'.*");
            }
            if (leased) {
                assertEquals(-1, found, "one scan of leased rows:\n" + String.join("\n", lines));
                found = i;
            }
        }
        return found;
    }

    /** The line of the node above the node at the given line. */
    private static int parent(List<String> lines, int node) {
        int indent = indent(lines.get(node));
        for (int i = node - 1; i >= 0; i--) {
            String line = lines.get(i);
            if ((line.contains("->") || i == 0) && indent(line) < indent) {
                return i;
            }
        }
        return 0;
    }

    private static int indent(String line) {
        int arrow = line.indexOf("->");
        return arrow >= 0 ? arrow : line.length() - line.stripLeading().length();
    }

    /** The rows a scan node returned plus those its filter removed. */
    private static long rowsRead(List<String> lines, int scan) {
        if (lines.get(scan).contains("never executed")) {
            return 0;
        }
        Matcher rows = Pattern.compile("actual time=\\S+ rows=(\\d+) loops=1").matcher(lines.get(scan));
        assertTrue(rows.find(), lines.get(scan));
        long read = Long.parseLong(rows.group(1));
        for (int j = scan + 1; j < lines.size() && !lines.get(j).contains("->"); j++) {
            Matcher removed = Pattern.compile("Rows Removed by Filter: (\\d+)").matcher(lines.get(j));
            if (removed.find()) {
                read += Long.parseLong(removed.group(1));
            }
        }
        return read;
    }
}
