package dev.runplane.server.grpc;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.Lease;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.Step;
import dev.runplane.v1.StepStatus;
import dev.runplane.v1.TimeRange;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.TimeZone;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every timestamp the API accepts round-trips over protobuf's whole range, 0001-01-01 to
 * 9999-12-31T23:59:59.999999 (issue 17, item 1), or is refused with INVALID_ARGUMENT. The sessions'
 * time zone (the driver sends the JVM's) is Pacific/Kiritimati: +14:00 today, so 9999-12-31 UTC is
 * the year 10000 there, and -10:29:20 local mean time before 1901, so 0001-01-01 UTC is a BC date:
 * PostgreSQL's text for both is outside what the fast reader (PgTimestamps) takes.
 */
class TimestampRangeTest {

    static final Timestamp MIN = Timestamps.MIN_VALUE; // 0001-01-01T00:00:00Z
    /** The latest instant at the stored precision (microseconds). */
    static final Timestamp MAX = Timestamps.MAX_VALUE.toBuilder().setNanos(999_999_000).build();

    private static TestServer server;
    private static TimeZone jvmZone;

    @BeforeAll
    static void start() throws Exception {
        jvmZone = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Kiritimati")); // the driver's default session zone
        server = TestServer.start();
        String zone = Flux.usingWhen(server.app().database().pool().create(),
                c -> Flux.from(c.createStatement("SELECT current_setting('TimeZone') AS z").execute())
                        .flatMap(r -> r.map((row, meta) -> row.get("z", String.class))),
                io.r2dbc.spi.Connection::close).blockFirst();
        assertEquals("Pacific/Kiritimati", zone, "the server's sessions");
    }

    @AfterAll
    static void stop() throws InterruptedException {
        TimeZone.setDefault(jvmZone); // first: the classes after this one see the JVM's own zone
        server.close();
    }

    private static Timestamp ts(String rfc3339) throws Exception {
        return Timestamps.parse(rfc3339);
    }

    @Test
    void scheduledForRoundTripsAtEveryEdge() throws Exception {
        for (Timestamp sent : List.of(MIN, ts("0001-01-01T00:00:00.000001Z"), ts("1677-09-20T23:59:59Z"),
                ts("1677-09-21T00:12:44Z"), ts("1969-12-31T23:59:59.999999Z"), ts("2262-04-11T23:47:17Z"),
                ts("2262-04-12T00:00:00Z"), ts("9999-12-31T23:59:59Z"), MAX)) {
            String what = Timestamps.toString(sent);
            Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("edges")
                    .setScheduledFor(sent).build()).getExecution();
            assertEquals(sent, run.getScheduledFor(), "Run's answer for " + what);
            assertEquals(sent, get(run.getId()).getScheduledFor(), "GetExecution for " + what);
            assertEquals(sent, searchOne(run.getId()).getScheduledFor(), "Search for " + what);
            for (ExecutionEvent event : events(run.getId())) {
                assertEquals(sent, event.getExecution().getScheduledFor(), "the history's snapshot for " + what);
            }
            assertEquals(what, storedScheduledFor(run.getId()), "what PostgreSQL stores for " + what);
        }
    }

    /** Times are stored at PostgreSQL's precision: sub-microsecond nanos are truncated, never rounded up. */
    @Test
    void subMicrosecondNanosAreTruncated() throws Exception {
        record Case(String sent, String kept) {
        }
        for (Case c : List.of(new Case("9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999Z"),
                new Case("0001-01-01T00:00:00.000000999Z", "0001-01-01T00:00:00Z"),
                new Case("2026-11-23T16:42:00.123456789Z", "2026-11-23T16:42:00.123456Z"),
                new Case("1969-12-31T23:59:59.999999500Z", "1969-12-31T23:59:59.999999Z"))) {
            Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("edges")
                    .setScheduledFor(ts(c.sent())).build()).getExecution();
            assertEquals(ts(c.kept()), run.getScheduledFor(), c.sent());
            assertEquals(ts(c.kept()), get(run.getId()).getScheduledFor(), c.sent());
        }
    }

    @Test
    void timestampsOutsideTheRangeAreRefused() {
        Timestamp beforeMin = Timestamp.newBuilder().setSeconds(MIN.getSeconds() - 1).build();
        Timestamp afterMax = Timestamp.newBuilder().setSeconds(MAX.getSeconds() + 1).build();
        for (Timestamp bad : List.of(beforeMin, afterMax, Timestamp.newBuilder().setSeconds(Long.MAX_VALUE).build())) {
            StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.executions()
                    .run(RunRequest.newBuilder().setPipeline("edges").setScheduledFor(bad).build()));
            assertEquals(List.of("scheduled_for"), Errors.violatedFields(error));
            error = Errors.expect(Status.Code.INVALID_ARGUMENT, () -> server.executions().search(SearchRequest
                    .newBuilder().setFilter(ExecutionFilter.newBuilder().setEndTime(TimeRange.newBuilder()
                            .setStart(bad).setEnd(bad))).build()));
            assertEquals(List.of("filter.end_time.start", "filter.end_time.end"), Errors.violatedFields(error));
        }
    }

    @Test
    void stepTimesRoundTripAtTheEdges() throws Exception {
        Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("edge-steps").build())
                .getExecution();
        Assignment assignment = server.workers().poll(PollRequest.newBuilder().setWorkerId("w-edges")
                .addPipelines("edge-steps").setMaxWait(Durations.fromSeconds(5)).build()).getAssignments(0);
        Lease lease = assignment.getLease();
        server.workers().heartbeat(HeartbeatRequest.newBuilder().setLease(lease)
                .addSteps(Step.newBuilder().setName("oldest").setStatus(StepStatus.STEP_STATUS_SUCCEEDED)
                        .setStartTime(MIN).setEndTime(ts("1677-09-20T00:00:00Z")))
                .addSteps(Step.newBuilder().setName("latest").setStatus(StepStatus.STEP_STATUS_RUNNING)
                        .setStartTime(ts("2262-04-12T00:00:00Z")).setEndTime(MAX))
                .build());
        server.workers().complete(CompleteRequest.newBuilder().setLease(lease)
                .addSteps(Step.newBuilder().setName("nanos").setStatus(StepStatus.STEP_STATUS_SUCCEEDED)
                        .setStartTime(ts("9999-12-31T23:59:59.999999999Z")).setEndTime(Timestamps.MAX_VALUE))
                .build());
        Execution done = get(run.getId());
        Function<String, Step> step = name -> done.getStepsList().stream().filter(s -> s.getName().equals(name))
                .findFirst().orElseThrow();
        assertEquals(MIN, step.apply("oldest").getStartTime());
        assertEquals(ts("1677-09-20T00:00:00Z"), step.apply("oldest").getEndTime());
        assertEquals(ts("2262-04-12T00:00:00Z"), step.apply("latest").getStartTime());
        assertEquals(MAX, step.apply("latest").getEndTime());
        assertEquals(MAX, step.apply("nanos").getStartTime(), "truncated to the microsecond");
        assertEquals(MAX, step.apply("nanos").getEndTime(), "truncated to the microsecond");
        TimeRange everything = TimeRange.newBuilder().setStart(MIN).setEnd(Timestamps.MAX_VALUE).build();
        assertEquals(1, server.executions().search(SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder()
                .addIds(run.getId()).setStartTime(everything).setEndTime(everything)).build()).getExecutionsCount(),
                "start_time and end_time ranges over the whole range");
        assertEquals(0, server.executions().search(SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder()
                .addIds(run.getId()).setEndTime(TimeRange.newBuilder().setStart(MAX))).build()).getExecutionsCount());
    }

    @Test
    void searchRangesWorkAtTheEdges() throws Exception {
        Execution run = server.executions().run(RunRequest.newBuilder().setPipeline("edge-search").build())
                .getExecution();
        Timestamp created = run.getCreateTime();
        Timestamp maxNanos = Timestamps.MAX_VALUE; // 9999-12-31T23:59:59.999999999Z
        assertEquals(List.of(run.getId()), createdIn(TimeRange.newBuilder().setStart(MIN).setEnd(maxNanos).build()));
        assertEquals(List.of(run.getId()), createdIn(TimeRange.newBuilder().setStart(MIN).build()));
        assertEquals(List.of(run.getId()), createdIn(TimeRange.newBuilder().setEnd(maxNanos).build()));
        assertEquals(List.of(), createdIn(TimeRange.newBuilder().setEnd(MIN).build()));
        assertEquals(List.of(), createdIn(TimeRange.newBuilder().setStart(MAX).build()));
        assertEquals(List.of(), createdIn(TimeRange.newBuilder().setStart(maxNanos).build()));
        // [start, end) over microsecond values: a bound a nanosecond past the row's time is past the row.
        Timestamp justAfter = Timestamps.add(created, Durations.fromNanos(1));
        assertEquals(List.of(run.getId()), createdIn(TimeRange.newBuilder().setStart(created).setEnd(justAfter).build()));
        assertEquals(List.of(), createdIn(TimeRange.newBuilder().setStart(justAfter).build()));
        assertEquals(List.of(), createdIn(TimeRange.newBuilder().setEnd(created).build()));
        Timestamp justBefore = Timestamps.subtract(created, Durations.fromNanos(1));
        assertEquals(List.of(run.getId()), createdIn(TimeRange.newBuilder().setStart(justBefore).build()));
        assertEquals(List.of(), createdIn(TimeRange.newBuilder().setEnd(justBefore).build()));
    }

    private static List<String> createdIn(TimeRange range) {
        return server.executions().search(SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder()
                        .addPipelines("edge-search").setCreateTime(range)).build())
                .getExecutionsList().stream().map(Execution::getId).toList();
    }

    private static Execution get(String id) {
        return server.executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution();
    }

    private static Execution searchOne(String id) {
        List<Execution> found = server.executions().search(SearchRequest.newBuilder()
                .setFilter(ExecutionFilter.newBuilder().addIds(id)).build()).getExecutionsList();
        assertEquals(1, found.size(), "Search by id");
        return found.get(0);
    }

    private static List<ExecutionEvent> events(String id) {
        List<ExecutionEvent> events = server.executions().listExecutionEvents(ListExecutionEventsRequest.newBuilder()
                .setId(id).build()).getEventsList();
        assertTrue(!events.isEmpty(), "the history has the Run");
        return events;
    }

    /** The stored value as UTC text, read by PostgreSQL itself (not through the server's codec). */
    private static String storedScheduledFor(String id) throws Exception {
        try (Connection c = TestPostgres.jdbc(server.database());
             PreparedStatement s = c.prepareStatement("""
                     SELECT to_char(scheduled_for AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
                       FROM executions WHERE id = ?::uuid""")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next(), "the row exists");
                String text = r.getString(1);
                return Timestamps.toString(Timestamps.parse(text + "Z"));
            }
        }
    }
}
