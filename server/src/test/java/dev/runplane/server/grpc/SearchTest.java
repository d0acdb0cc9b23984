package dev.runplane.server.grpc;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;
import dev.runplane.server.core.Action;
import dev.runplane.server.core.TransitionRequest;
import dev.runplane.server.store.PostgresExecutionStore;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionMode;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.SearchResponse;
import dev.runplane.v1.TimeRange;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Search against a model: 60 executions of every status, mode, label and priority; every filter
 * field, every order (both directions) and their combinations, paged 7 at a time, must give exactly
 * the rows the model selects, in the model's order.
 */
class SearchTest {

    private static final String[] PIPELINES = {"alpha", "beta", "gamma"};
    private static final int PAGE = 7;

    private static TestServer server;
    private static List<Execution> all;

    record Case(String name, ExecutionFilter filter, String query, Predicate<Execution> matches) {
    }

    @BeforeAll
    static void load() {
        server = TestServer.start();
        PostgresExecutionStore store = new PostgresExecutionStore(server.app().database().pool());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            RunRequest.Builder run = RunRequest.newBuilder()
                    .setPipeline(PIPELINES[i % 3])
                    .setPriority((i * 7) % 11 - 5)
                    .setMode(i % 4 == 0 ? ExecutionMode.EXECUTION_MODE_EXPERIMENT : ExecutionMode.EXECUTION_MODE_PRODUCTION)
                    .putLabels("twin", "t" + (i % 5))
                    .putLabels("team", i % 2 == 0 ? "red" : "blue");
            if (i % 10 == 9) {
                run.setParentId(ids.get(0));
            }
            UUID id = UUID.fromString(server.executions().run(run.build()).getExecution().getId());
            ids.add(id.toString());
            String worker = "w" + (i % 2);
            if (i % 6 != 0 && i % 6 != 4) {
                store.transition(new TransitionRequest(id, Action.CLAIM, "worker", "", worker, null, null, null)).block();
            }
            switch (i % 6) {
                case 2 -> store.transition(new TransitionRequest(id, Action.COMPLETE, "worker", "", null, "{}",
                        "done rows " + i, null)).block();
                case 3 -> store.transition(new TransitionRequest(id, Action.FAIL, "worker", "", null, null, null,
                        i % 4 == 1 ? "boom disk full" : "upstream timeout")).block();
                case 4 -> store.transition(TransitionRequest.of(id, Action.CANCEL, "api", "not needed")).block();
                case 5 -> store.transition(TransitionRequest.of(id, Action.TIME_OUT, "reaper", "")).block();
                default -> { }
            }
        }
        all = ids.stream().map(id -> server.executions()
                .getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution().toBuilder()
                // Search's rows carry no steps and no queue position (GetExecution's alone, issue 19).
                .clearSteps().clearWaitingTime().clearExecutionTime().clearQueuePosition().build()).toList();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    static List<Case> cases() {
        Execution first = all.get(0);
        List<Long> starts = all.stream().filter(Execution::hasStartTime).map(e -> micros(e.getStartTime())).sorted().toList();
        List<Long> ends = all.stream().filter(Execution::hasEndTime).map(e -> micros(e.getEndTime())).sorted().toList();
        Timestamp createFrom = all.get(10).getCreateTime();
        Timestamp createTo = all.get(40).getCreateTime();
        Timestamp startFrom = Timestamps.fromMicros(starts.get(3));
        Timestamp startTo = Timestamps.fromMicros(starts.get(15));
        Timestamp endFrom = Timestamps.fromMicros(ends.get(ends.size() / 2));
        List<String> someIds = List.of(all.get(1).getId(), all.get(7).getId(), all.get(30).getId(), all.get(59).getId());
        return List.of(
                new Case("everything", ExecutionFilter.getDefaultInstance(), "", e -> true),
                new Case("ids", ExecutionFilter.newBuilder().addAllIds(someIds).build(), "",
                        e -> someIds.contains(e.getId())),
                new Case("one pipeline", ExecutionFilter.newBuilder().addPipelines("alpha").build(), "",
                        e -> e.getPipeline().equals("alpha")),
                new Case("two pipelines", ExecutionFilter.newBuilder().addPipelines("gamma").addPipelines("alpha").build(),
                        "", e -> !e.getPipeline().equals("beta")),
                new Case("one status", ExecutionFilter.newBuilder().addStatuses(ExecutionStatus.EXECUTION_STATUS_FAILED)
                        .build(), "", e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_FAILED),
                new Case("three statuses", ExecutionFilter.newBuilder()
                        .addStatuses(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED)
                        .addStatuses(ExecutionStatus.EXECUTION_STATUS_RUNNING)
                        .addStatuses(ExecutionStatus.EXECUTION_STATUS_QUEUED).build(), "",
                        e -> Set.of(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, ExecutionStatus.EXECUTION_STATUS_RUNNING,
                                ExecutionStatus.EXECUTION_STATUS_QUEUED).contains(e.getStatus())),
                new Case("mode", ExecutionFilter.newBuilder().addModes(ExecutionMode.EXECUTION_MODE_EXPERIMENT).build(), "",
                        e -> e.getMode() == ExecutionMode.EXECUTION_MODE_EXPERIMENT),
                new Case("one label", ExecutionFilter.newBuilder().putLabels("team", "red").build(), "",
                        e -> e.getLabelsOrThrow("team").equals("red")),
                new Case("two labels", ExecutionFilter.newBuilder().putLabels("team", "red").putLabels("twin", "t2")
                        .build(), "", e -> e.getLabelsOrThrow("team").equals("red")
                        && e.getLabelsOrThrow("twin").equals("t2")),
                new Case("parent", ExecutionFilter.newBuilder().setParentId(first.getId()).build(), "",
                        e -> e.getParentId().equals(first.getId())),
                new Case("worker", ExecutionFilter.newBuilder().setWorkerId("w1").build(), "",
                        e -> e.getWorkerId().equals("w1")),
                new Case("create time range", ExecutionFilter.newBuilder().setCreateTime(TimeRange.newBuilder()
                        .setStart(createFrom).setEnd(createTo)).build(), "",
                        e -> within(e.hasCreateTime(), e.getCreateTime(), createFrom, createTo)),
                new Case("start time range", ExecutionFilter.newBuilder().setStartTime(TimeRange.newBuilder()
                        .setStart(startFrom).setEnd(startTo)).build(), "",
                        e -> within(e.hasStartTime(), e.getStartTime(), startFrom, startTo)),
                new Case("end time from", ExecutionFilter.newBuilder().setEndTime(TimeRange.newBuilder()
                        .setStart(endFrom)).build(), "",
                        e -> within(e.hasEndTime(), e.getEndTime(), endFrom, null)),
                new Case("min priority", ExecutionFilter.newBuilder().setMinPriority(0).build(), "",
                        e -> e.getPriority() >= 0),
                new Case("max priority", ExecutionFilter.newBuilder().setMaxPriority(-2).build(), "",
                        e -> e.getPriority() <= -2),
                new Case("priority range", ExecutionFilter.newBuilder().setMinPriority(-1).setMaxPriority(2).build(), "",
                        e -> e.getPriority() >= -1 && e.getPriority() <= 2),
                new Case("text in error", ExecutionFilter.getDefaultInstance(), "disk", e -> words(e).contains("disk")),
                new Case("text in label value", ExecutionFilter.getDefaultInstance(), "T3", e -> words(e).contains("t3")),
                new Case("text in pipeline", ExecutionFilter.getDefaultInstance(), "beta", e -> words(e).contains("beta")),
                new Case("two words", ExecutionFilter.getDefaultInstance(), "done  red",
                        e -> words(e).contains("done") && words(e).contains("red")),
                new Case("combined", ExecutionFilter.newBuilder().addPipelines("alpha").addPipelines("beta")
                        .addStatuses(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED)
                        .addStatuses(ExecutionStatus.EXECUTION_STATUS_FAILED)
                        .addStatuses(ExecutionStatus.EXECUTION_STATUS_QUEUED)
                        .putLabels("team", "red").setMinPriority(-4).build(), "",
                        e -> !e.getPipeline().equals("gamma") && e.getLabelsOrThrow("team").equals("red")
                                && e.getPriority() >= -4 && Set.of(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED,
                                ExecutionStatus.EXECUTION_STATUS_FAILED, ExecutionStatus.EXECUTION_STATUS_QUEUED)
                                .contains(e.getStatus())),
                new Case("combined with text", ExecutionFilter.newBuilder().addPipelines("alpha")
                        .setCreateTime(TimeRange.newBuilder().setStart(createFrom)).build(), "t1",
                        e -> e.getPipeline().equals("alpha") && words(e).contains("t1")
                                && within(true, e.getCreateTime(), createFrom, null)),
                new Case("nothing", ExecutionFilter.newBuilder().addPipelines("delta").build(), "", e -> false));
    }

    static List<String> orders() {
        // "" is create_time desc; a key alone is ascending.
        List<String> orders = new ArrayList<>(List.of("", "priority"));
        for (String key : List.of("create_time", "start_time", "end_time", "priority", "execution_time")) {
            orders.add(key + " asc");
            orders.add(key + " DESC");
        }
        return orders;
    }

    @Test
    void everyFilterInEveryOrderPagesToTheModelsRows() {
        int checked = 0;
        for (Case c : cases()) {
            List<Execution> selected = all.stream().filter(c.matches()).toList();
            if (!c.name().equals("nothing")) {
                assertFalse(selected.isEmpty(), c.name() + " selects something in the data set");
                assertTrue(selected.size() < all.size() || c.name().equals("everything"), c.name() + " filters");
            }
            for (String order : orders()) {
                List<String> expected = selected.stream().sorted(comparator(order)).map(Execution::getId).toList();
                List<String> paged = pageThrough(c, order, PAGE).stream().map(Execution::getId).toList();
                assertEquals(expected, paged, c.name() + " / order_by '" + order + "'");
                checked++;
            }
        }
        assertEquals(cases().size() * orders().size(), checked);
    }

    @Test
    void rowsCarryTheStoredExecution() {
        SearchResponse page = server.executions().search(SearchRequest.newBuilder()
                .setFilter(ExecutionFilter.newBuilder().addIds(all.get(8).getId())).build());
        assertEquals(1, page.getExecutionsCount());
        assertEquals(all.get(8), page.getExecutions(0).toBuilder().clearWaitingTime().clearExecutionTime().build());
        assertTrue(page.getExecutions(0).hasExecutionTime(), "a finished execution has an execution time");
    }

    @Test
    void totalSizeCountsEveryMatch() {
        for (Case c : cases()) {
            SearchResponse page = server.executions().search(SearchRequest.newBuilder().setFilter(c.filter())
                    .setQuery(c.query()).setPageSize(2).setIncludeTotalSize(true).build());
            assertEquals(all.stream().filter(c.matches()).count(), page.getTotalSize(), c.name());
        }
        assertEquals(0, server.executions().search(SearchRequest.newBuilder().setPageSize(1).build()).getTotalSize(),
                "no count unless asked");
    }

    @Test
    void pageSizeDefaultsTo50AndIsCappedAt1000() {
        SearchResponse defaults = server.executions().search(SearchRequest.getDefaultInstance());
        assertEquals(50, defaults.getExecutionsCount());
        assertFalse(defaults.getNextPageToken().isEmpty());
        SearchResponse huge = server.executions().search(SearchRequest.newBuilder().setPageSize(1_000_000).build());
        assertEquals(60, huge.getExecutionsCount());
        assertEquals("", huge.getNextPageToken());
        StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> server.executions().search(SearchRequest.newBuilder().setPageSize(-1).build()));
        assertEquals(List.of("page_size"), Errors.violatedFields(error));
    }

    @Test
    void aTokenIsBoundToItsFilterQueryAndOrderButNotToThePageSize() {
        SearchRequest first = SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().addPipelines("alpha"))
                .setOrderBy("priority desc").setPageSize(3).build();
        String token = server.executions().search(first).getNextPageToken();
        assertFalse(token.isEmpty());

        // Same request with another page size, and the order written differently: accepted.
        assertEquals(5, server.executions().search(first.toBuilder().setPageSize(5).setOrderBy(" PRIORITY  desc ")
                .setPageToken(token).build()).getExecutionsCount());

        List<SearchRequest> others = List.of(
                first.toBuilder().setFilter(ExecutionFilter.newBuilder().addPipelines("beta")).build(),
                first.toBuilder().setOrderBy("priority asc").build(),
                first.toBuilder().setQuery("t1").build());
        for (SearchRequest other : others) {
            StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT,
                    () -> server.executions().search(other.toBuilder().setPageToken(token).build()));
            assertEquals(List.of("page_token"), Errors.violatedFields(error));
        }
    }

    @Test
    void invalidFiltersNameTheirFields() {
        ExecutionFilter bad = ExecutionFilter.newBuilder()
                .addIds("nope")
                .addPipelines("Not A Pipeline")
                .addStatuses(ExecutionStatus.EXECUTION_STATUS_UNSPECIFIED)
                .addModesValue(42)
                .putLabels("bad key!", "v")
                .setParentId("x")
                .setMinPriority(5).setMaxPriority(1)
                .setCreateTime(TimeRange.newBuilder().setStart(Timestamps.fromSeconds(100)).setEnd(Timestamps.fromSeconds(10)))
                .setStartTime(TimeRange.newBuilder().setStart(Timestamp.newBuilder().setSeconds(Long.MAX_VALUE)))
                .build();
        StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.executions().search(
                SearchRequest.newBuilder().setFilter(bad).setOrderBy("name").build()));
        assertEquals(Set.of("filter.ids", "filter.pipelines", "filter.statuses", "filter.modes", "filter.labels",
                        "filter.parent_id", "filter.min_priority", "filter.create_time", "filter.start_time.start",
                        "order_by"),
                Set.copyOf(Errors.violatedFields(error)));
    }

    private static List<Execution> pageThrough(Case c, String order, int pageSize) {
        List<Execution> rows = new ArrayList<>();
        String token = "";
        int pages = 0;
        do {
            SearchResponse page = server.executions().search(SearchRequest.newBuilder().setFilter(c.filter())
                    .setQuery(c.query()).setOrderBy(order).setPageSize(pageSize).setPageToken(token).build());
            assertTrue(page.getExecutionsCount() <= pageSize);
            assertTrue(page.getExecutionsCount() > 0 || pages == 0, "no empty page after the first");
            page.getExecutionsList().forEach(e -> rows.add(e.toBuilder().clearWaitingTime().clearExecutionTime().build()));
            token = page.getNextPageToken();
            pages++;
            assertTrue(pages <= all.size() + 1, "paging ends");
        } while (!token.isEmpty());
        return rows;
    }

    /**
     * The model of order_by: the key ascending with NULL as the largest value, then id; desc reverses
     * both. Priority's ties follow the claim order instead, in both directions.
     */
    private static Comparator<Execution> comparator(String orderBy) {
        String[] words = orderBy.trim().toLowerCase(Locale.ROOT).split("\\s+");
        String key = orderBy.isBlank() ? "create_time" : words[0];
        boolean descending = orderBy.isBlank() || (words.length == 2 && words[1].equals("desc"));
        Function<Execution, Long> value = switch (key) {
            case "create_time" -> e -> micros(e.getCreateTime());
            case "start_time" -> e -> e.hasStartTime() ? micros(e.getStartTime()) : null;
            case "end_time" -> e -> e.hasEndTime() ? micros(e.getEndTime()) : null;
            case "priority" -> e -> (long) e.getPriority();
            case "execution_time" -> e -> e.hasStartTime() && e.hasEndTime()
                    ? micros(e.getEndTime()) - micros(e.getStartTime()) : null;
            default -> throw new IllegalArgumentException(key);
        };
        Comparator<Execution> byKey = Comparator.comparing(value, Comparator.nullsLast(Comparator.naturalOrder()));
        if (key.equals("priority")) {
            // Ties follow the claim order in both directions: queued longest first, then the id.
            return (descending ? byKey.reversed() : byKey)
                    .thenComparing(e -> e.hasQueueTime() ? micros(e.getQueueTime()) : null,
                            Comparator.nullsLast(Comparator.naturalOrder()))
                    .thenComparing(Execution::getId);
        }
        Comparator<Execution> ascending = byKey.thenComparing(Execution::getId);
        return descending ? ascending.reversed() : ascending;
    }

    private static Set<String> words(Execution e) {
        return Stream.concat(Stream.of(e.getPipeline(), e.getMessage(), e.getError()), e.getLabelsMap().values().stream())
                .flatMap(text -> Arrays.stream(text.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")))
                .collect(Collectors.toSet());
    }

    private static boolean within(boolean present, Timestamp time, Timestamp start, Timestamp end) {
        return present && micros(time) >= micros(start) && (end == null || micros(time) < micros(end));
    }

    private static long micros(Timestamp t) {
        return Timestamps.toMicros(t);
    }
}
