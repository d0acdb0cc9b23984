package dev.runplane.server.grpc;

import com.google.protobuf.util.Durations;
import dev.runplane.server.core.Action;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.Limits;
import dev.runplane.server.core.WatchFilter;
import dev.runplane.server.core.search.SearchFilter;
import dev.runplane.server.core.search.SearchOrder;
import dev.runplane.server.store.PostgresExecutionQueries;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.Transitioner;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionMode;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.TimeRange;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live predicate (core/WatchFilter, which each event's execution state is matched with) and
 * Search's SQL agree on every field of the filter, over a varied set of executions; and what a
 * status filter sends live: the change that leaves it too.
 */
class WatchFilterAgreementTest {

    @RegisterExtension
    static final PerClassServer server = new PerClassServer();

    private static List<Execution> all;

    @BeforeAll
    static void executions() {
        String parent = run(RunRequest.newBuilder().setPipeline("agree-0")).getId();
        for (int i = 0; i < 24; i++) {
            RunRequest.Builder run = RunRequest.newBuilder().setPipeline("agree-" + (i % 3))
                    .setMode(i % 4 == 0 ? ExecutionMode.EXECUTION_MODE_EXPERIMENT : ExecutionMode.EXECUTION_MODE_PRODUCTION)
                    .setPriority(i % 7).putLabels("team", i % 2 == 0 ? "red" : "blue")
                    .putLabels("tier", Integer.toString(i % 3));
            if (i % 5 == 0) {
                run.setParentId(parent);
            }
            run(run);
        }
        // agree-1: all claimed by w-a, half of them completed; agree-2: claimed by w-b; agree-0: some cancelled.
        List<Assignment> claimed = poll("w-a", "agree-1");
        for (int i = 0; i < claimed.size(); i += 2) {
            server.workers().complete(CompleteRequest.newBuilder().setLease(claimed.get(i).getLease()).build());
        }
        poll("w-b", "agree-2");
        all = queries().search(SearchFilter.ALL, null, SearchOrder.DEFAULT, null, 1000).collectList()
                .block(Duration.ofSeconds(30));
        all.stream().filter(e -> e.pipeline().equals("agree-0")).limit(3).forEach(e -> server.executions()
                .cancel(CancelRequest.newBuilder().setId(e.id().toString()).build()));
        all = queries().search(SearchFilter.ALL, null, SearchOrder.DEFAULT, null, 1000).collectList()
                .block(Duration.ofSeconds(30));
    }

    private static PostgresExecutionQueries queries() {
        return new PostgresExecutionQueries(server.get().app().database().pool(),
                server.get().app().database().customPlans());
    }

    private static dev.runplane.v1.Execution run(RunRequest.Builder run) {
        return server.executions().run(run.build()).getExecution();
    }

    private static List<Assignment> poll(String worker, String pipeline) {
        return server.workers().poll(PollRequest.newBuilder().setWorkerId(worker).addPipelines(pipeline)
                .setMaxExecutions(100).setMaxWait(Durations.fromSeconds(0)).build()).getAssignmentsList();
    }

    /** The filter's middle value of a time that some executions have. */
    private static Instant median(java.util.function.Function<Execution, Instant> time) {
        List<Instant> times = all.stream().map(time).filter(Objects::nonNull).sorted().toList();
        return times.get(times.size() / 2);
    }

    private static TimeRange from(Instant start) {
        return TimeRange.newBuilder().setStart(ProtoMapper.timestamp(start)).build();
    }

    private static TimeRange until(Instant end) {
        return TimeRange.newBuilder().setEnd(ProtoMapper.timestamp(end)).build();
    }

    private static List<ExecutionFilter> filters() {
        Execution some = all.get(3);
        Instant created = median(Execution::createTime);
        Instant started = median(Execution::startTime);
        Instant ended = median(Execution::endTime);
        return List.of(
                ExecutionFilter.newBuilder().addPipelines("agree-1").build(),
                ExecutionFilter.newBuilder().addPipelines("agree-1").addPipelines("agree-2")
                        .addStatuses(ExecutionStatus.EXECUTION_STATUS_RUNNING).build(),
                ExecutionFilter.newBuilder().addModes(ExecutionMode.EXECUTION_MODE_EXPERIMENT).build(),
                ExecutionFilter.newBuilder().putLabels("team", "red").build(),
                ExecutionFilter.newBuilder().putLabels("team", "red").putLabels("tier", "1").build(),
                ExecutionFilter.newBuilder().setParentId(all.stream().filter(e -> e.parentId() != null)
                        .findFirst().orElseThrow().parentId().toString()).build(),
                ExecutionFilter.newBuilder().setWorkerId("w-a").build(),
                ExecutionFilter.newBuilder().setMinPriority(5).build(),
                ExecutionFilter.newBuilder().setMinPriority(1).setMaxPriority(3).build(),
                ExecutionFilter.newBuilder().setCreateTime(from(created)).build(),
                ExecutionFilter.newBuilder().setCreateTime(until(created)).build(),
                ExecutionFilter.newBuilder().setStartTime(from(started)).build(),
                ExecutionFilter.newBuilder().setStartTime(until(started)).build(),
                ExecutionFilter.newBuilder().setEndTime(TimeRange.newBuilder().setStart(ProtoMapper.timestamp(
                        ended.minusSeconds(3600))).setEnd(ProtoMapper.timestamp(ended))).build(),
                ExecutionFilter.newBuilder().addIds(some.id().toString()).addIds(all.get(7).id().toString()).build(),
                ExecutionFilter.newBuilder().addStatuses(ExecutionStatus.EXECUTION_STATUS_QUEUED)
                        .addStatuses(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED)
                        .addModes(ExecutionMode.EXECUTION_MODE_PRODUCTION).build(),
                ExecutionFilter.newBuilder().addPipelines("agree-2").putLabels("team", "blue").setMinPriority(1)
                        .setStartTime(until(Instant.now().plusSeconds(60))).build(),
                ExecutionFilter.newBuilder().addStatuses(ExecutionStatus.EXECUTION_STATUS_CANCELLED)
                        .setEndTime(from(Instant.EPOCH)).build());
    }

    private static WatchFilter live(ExecutionFilter filter) {
        RequestChecks checks = new RequestChecks();
        SearchFilter search = SearchRequestValidator.filter(checks, "filter.", filter, FilterChecks.WATCH,
                Limits.DEFAULT);
        checks.throwIfInvalid();
        return new WatchFilter(search);
    }

    @Test
    void searchAndTheLivePredicateSelectTheSameExecutions() {
        // As they are now (the other test's executions too: Search sees them, so must the predicate).
        all = queries().search(SearchFilter.ALL, null, SearchOrder.DEFAULT, null, 1000).collectList()
                .block(Duration.ofSeconds(30));
        assertTrue(all.size() >= 25);
        for (ExecutionFilter filter : filters()) {
            WatchFilter predicate = live(filter);
            Set<UUID> expected = all.stream().filter(predicate::matches).map(Execution::id).collect(Collectors.toSet());
            Set<UUID> searched = server.executions().search(SearchRequest.newBuilder().setFilter(filter)
                            .setPageSize(1000).build()).getExecutionsList().stream()
                    .map(e -> UUID.fromString(e.getId())).collect(Collectors.toSet());
            assertEquals(searched, expected, () -> "filter " + filter);
            assertTrue(!expected.isEmpty() && expected.size() < all.size(), () -> "a filter that selects some: "
                    + filter + " selected " + expected.size());
        }
    }

    @Test
    void aStatusFilterSendsTheChangeThatEntersItAndTheOneThatLeavesIt() throws Exception {
        Transitioner transitions = new Transitioner(server.get().app().database().pool());
        StreamRecorder<WatchExecutionsResponse> running = new StreamRecorder<>();
        Context.CancellableContext context = Context.current().withCancellation();
        try {
            context.run(() -> ExecutionServiceGrpc.newStub(server.channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .watchExecutions(WatchExecutionsRequest.newBuilder().setFilter(ExecutionFilter.newBuilder()
                            .addPipelines("leaving").addStatuses(ExecutionStatus.EXECUTION_STATUS_RUNNING)).build(),
                            running));
            server.awaitWatchers(1);
            UUID done = transitions.create("leaving", Map.of()).block().id();
            transitions.apply(done, Action.CLAIM).block();
            transitions.apply(done, Action.COMPLETE).block();
            UUID cancelled = transitions.create("leaving", Map.of()).block().id();
            transitions.apply(cancelled, Action.CANCEL).block(); // QUEUED → CANCELLED: never RUNNING, not sent
            UUID last = transitions.create("leaving", Map.of()).block().id();
            transitions.apply(last, Action.CLAIM).block();
            List<String> got = running.awaitCount(3, Duration.ofSeconds(30)).stream()
                    .map(WatchExecutionsResponse::getEvent)
                    .sorted(Comparator.comparingLong(ExecutionEvent::getSequence))
                    .map(e -> (e.getExecutionId().equals(done.toString()) ? "done" : e.getExecutionId().equals(
                            last.toString()) ? "last" : "other") + " " + e.getFromStatus() + " -> " + e.getToStatus())
                    .toList();
            assertEquals(List.of(
                    "done EXECUTION_STATUS_QUEUED -> EXECUTION_STATUS_RUNNING",
                    "done EXECUTION_STATUS_RUNNING -> EXECUTION_STATUS_SUCCEEDED",
                    "last EXECUTION_STATUS_QUEUED -> EXECUTION_STATUS_RUNNING"), got);
        } finally {
            context.cancel(null);
        }
    }
}
