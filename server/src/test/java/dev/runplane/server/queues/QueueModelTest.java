package dev.runplane.server.queues;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.ListQueuesRequest;
import dev.runplane.v1.ListWorkersRequest;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.Queue;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunRequest;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ListQueues and every execution's queue_position agree with a plain Java model of the claim
 * (QUEUED and scheduled_for reached; priority first, then the oldest queue time, then the id in
 * PostgreSQL's uuid order), over seeded sets of executions: several pipelines, varied priorities,
 * ties of queue time (a RunBatch is one transaction, so its rows share one), scheduled_for in the
 * past and the future, leased, cancelling and terminal ones, and pipelines that only a worker polls.
 * After a worker claims, the claimed executions are the model's first and the positions move as the
 * model says.
 */
class QueueModelTest {

    @RegisterExtension
    static final PerClassServer server = new PerClassServer();

    private static final int[] PRIORITIES = {-5, 0, 0, 0, 3, 10};

    /** The claim order over claimable executions; PostgreSQL orders uuids by their bytes, as their text sorts. */
    private static final Comparator<Execution> CLAIM_ORDER = Comparator
            .comparingInt(Execution::getPriority).reversed()
            .thenComparing(e -> e.getQueueTime(), Timestamps.comparator())
            .thenComparing(Execution::getId);

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void listQueuesAndPositionsAgreeWithTheModel(long seed) throws Exception {
        Random random = new Random(seed);
        String prefix = "model" + seed + "-";
        List<String> pipelines = List.of(prefix + "a", prefix + "b", prefix + "c");
        String onlyPolled = prefix + "idle";
        List<String> ids = new ArrayList<>();
        for (String pipeline : pipelines) {
            int batches = 2 + random.nextInt(3);
            for (int b = 0; b < batches; b++) {
                RunBatchRequest.Builder batch = RunBatchRequest.newBuilder();
                int size = 1 + random.nextInt(6);
                for (int i = 0; i < size; i++) {
                    batch.addRuns(run(pipeline, random));
                }
                server.executions().runBatch(batch.build()).getResultsList()
                        .forEach(result -> ids.add(result.getExecution().getId()));
            }
        }
        // Leased, cancelling and terminal ones: each claim takes the best claimable, as any worker's would.
        String workerA = prefix + "worker-a";
        String workerB = prefix + "worker-b";
        List<Assignment> claimedA = poll(workerA, List.of(pipelines.get(0), pipelines.get(1)), 3);
        List<Assignment> claimedB = poll(workerB, List.of(pipelines.get(1), pipelines.get(2), onlyPolled), 3);
        server.workers().complete(CompleteRequest.newBuilder().setLease(claimedA.get(0).getLease()).build());
        server.executions().cancel(CancelRequest.newBuilder().setId(claimedB.get(0).getExecution().getId()).build());
        String completed = claimedA.get(0).getExecution().getId();
        for (int i = 0; i < 3; i++) { // some queued ones cancelled (perhaps already claimed: then CANCELLING)
            String id = ids.get(random.nextInt(ids.size()));
            if (!id.equals(completed)) {
                server.executions().cancel(CancelRequest.newBuilder().setId(id).build());
            }
        }

        Map<String, Integer> workersOf = Map.of(pipelines.get(0), 1, pipelines.get(1), 2, pipelines.get(2), 1,
                onlyPolled, 1);
        List<String> asked = new ArrayList<>(pipelines);
        asked.add(onlyPolled);
        checkAgainstModel(ids, asked, workersOf);

        // A worker claims: it gets the model's first claimable executions, and the rest move up.
        List<Execution> before = read(ids);
        String busy = pipelines.get(1);
        List<String> expected = claimable(before, busy).stream().limit(2).map(Execution::getId).toList();
        List<String> claimed = poll(workerA, List.of(busy), 2).stream().map(a -> a.getExecution().getId()).toList();
        assertEquals(expected, claimed, "the claim takes the model's first two");
        // Worker A now polls only the busy pipeline: its row says so at once (a change of pipelines is
        // written without waiting for the interval).
        checkAgainstModel(ids, asked, Map.of(pipelines.get(1), 2, pipelines.get(2), 1, onlyPolled, 1));
    }

    /** A pipeline that nobody polls and that has nothing queued or running is not a queue. */
    @Test
    void aPipelineWithOnlyFinishedExecutionsIsNoQueue() {
        String pipeline = "finished-only";
        server.executions().cancel(CancelRequest.newBuilder().setId(server.executions()
                .run(RunRequest.newBuilder().setPipeline(pipeline).build()).getExecution().getId()).build());
        assertEquals(List.of(), server.executions().listQueues(ListQueuesRequest.newBuilder().addPipelines(pipeline)
                .build()).getQueuesList());
    }

    @Test
    void badPipelinesAreInvalidArgumentNamingTheField() {
        assertEquals(List.of("pipelines"), Errors.violatedFields(Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> server.executions().listQueues(ListQueuesRequest.newBuilder().addPipelines("Not A Name").build()))));
        assertEquals(List.of("pipelines"), Errors.violatedFields(Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> server.executions().listWorkers(ListWorkersRequest.newBuilder().addPipelines("").build()))));
    }

    private static void checkAgainstModel(List<String> ids, List<String> pipelines, Map<String, Integer> workersOf)
            throws InterruptedException {
        List<Execution> executions = read(ids);
        List<Queue> expected = modelQueues(executions, pipelines, workersOf);
        // Workers are recorded off the Poll's path: wait until the recorded ones are there.
        List<Queue> actual = Eventually.await(Duration.ofSeconds(20), "ListQueues as the model says",
                () -> server.executions().listQueues(ListQueuesRequest.newBuilder().addAllPipelines(pipelines).build())
                        .getQueuesList(), expected::equals);
        assertEquals(expected, actual);
        for (Execution e : executions) {
            int position = 0;
            if (e.getStatus() == ExecutionStatus.EXECUTION_STATUS_QUEUED) {
                List<Execution> queue = claimable(executions, e.getPipeline());
                position = queue.indexOf(e) + 1; // 0 when not claimable (scheduled for later)
            }
            assertEquals(position, e.getQueuePosition(), "queue_position of " + e);
        }
    }

    /** What ListQueues should answer for these executions, by pipeline name. */
    private static List<Queue> modelQueues(List<Execution> executions, List<String> pipelines,
                                           Map<String, Integer> workersOf) {
        Map<String, Queue.Builder> queues = new TreeMap<>();
        for (Execution e : executions) {
            boolean queued = e.getStatus() == ExecutionStatus.EXECUTION_STATUS_QUEUED;
            boolean leased = e.getStatus() == ExecutionStatus.EXECUTION_STATUS_RUNNING
                    || e.getStatus() == ExecutionStatus.EXECUTION_STATUS_CANCELLING;
            if (!queued && !leased) {
                continue;
            }
            Queue.Builder q = queues.computeIfAbsent(e.getPipeline(), p -> Queue.newBuilder().setPipeline(p));
            if (queued) {
                q.setQueuedCount(q.getQueuedCount() + 1);
                if (Timestamps.compare(e.getScheduledFor(), Timestamps.fromMillis(System.currentTimeMillis())) > 0) {
                    q.setScheduledCount(q.getScheduledCount() + 1);
                }
                if (!q.hasOldestQueueTime() || Timestamps.compare(e.getQueueTime(), q.getOldestQueueTime()) < 0) {
                    q.setOldestQueueTime(e.getQueueTime());
                }
            } else {
                q.setRunningCount(q.getRunningCount() + 1);
            }
        }
        workersOf.forEach((pipeline, count) -> queues.computeIfAbsent(pipeline,
                p -> Queue.newBuilder().setPipeline(p)).setWorkerCount(count));
        return queues.values().stream().filter(q -> pipelines.contains(q.getPipeline())).map(Queue.Builder::build)
                .toList();
    }

    /** The claimable executions of a pipeline in the claim order. */
    private static List<Execution> claimable(List<Execution> executions, String pipeline) {
        Timestamp now = Timestamps.fromMillis(System.currentTimeMillis());
        return executions.stream()
                .filter(e -> e.getPipeline().equals(pipeline) && e.getStatus() == ExecutionStatus.EXECUTION_STATUS_QUEUED
                        && Timestamps.compare(e.getScheduledFor(), now) <= 0)
                .sorted(CLAIM_ORDER)
                .toList();
    }

    private static List<Execution> read(List<String> ids) {
        return ids.stream().map(id -> server.executions().getExecution(GetExecutionRequest.newBuilder().setId(id)
                .build()).getExecution()).collect(Collectors.toList());
    }

    private static List<Assignment> poll(String worker, List<String> pipelines, int max) {
        return server.workers().poll(PollRequest.newBuilder().setWorkerId(worker).addAllPipelines(pipelines)
                .setMaxExecutions(max).setMaxWait(Durations.fromMillis(0)).build()).getAssignmentsList();
    }

    /** A Run with a random priority, and now, an hour ago or in an hour as its scheduled_for. */
    private static RunRequest run(String pipeline, Random random) {
        RunRequest.Builder run = RunRequest.newBuilder().setPipeline(pipeline)
                .setPriority(PRIORITIES[random.nextInt(PRIORITIES.length)]);
        int when = random.nextInt(7);
        if (when == 0) {
            run.setScheduledFor(Timestamps.fromMillis(System.currentTimeMillis() + Duration.ofHours(1).toMillis()));
        } else if (when == 1) {
            run.setScheduledFor(Timestamps.fromMillis(System.currentTimeMillis() - Duration.ofHours(1).toMillis()));
        }
        return run.build();
    }
}
