package dev.runplane.server.workers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.CompleteBatchRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.PollResponse;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.StepStatus;
import dev.runplane.worker.TaskFailure;
import dev.runplane.worker.Worker;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java worker library against a real server: steps, progress, failures, cancellation, graceful stop. */
class WorkerLibraryTest {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(TestPostgres.newDatabase(), WorkerServiceTest.FAST);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    private static Worker.Builder worker() {
        return worker(server.channel());
    }

    private static Worker.Builder worker(Channel channel) {
        return Worker.builder(channel).leaseDuration(Duration.ofSeconds(2)).maxWait(Duration.ofSeconds(1));
    }

    private static Execution run(String pipeline, int maxAttempts) {
        return server.executions().run(RunRequest.newBuilder().setPipeline(pipeline).setMaxAttempts(maxAttempts)
                .build()).getExecution();
    }

    private static Execution await(String id, Predicate<Execution> condition) throws InterruptedException {
        return Eventually.await(Duration.ofSeconds(20), "execution " + id, () -> server.executions()
                .getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution(), condition);
    }

    @Test
    void stepsProgressAndOutputsAreReported() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (Worker w = worker().handle("steps", task -> {
            task.stepStarted("extract");
            task.progress("extracting");
            release.await(20, TimeUnit.SECONDS);
            task.stepEnded("extract", StepStatus.STEP_STATUS_SUCCEEDED, "10 rows");
            return Struct.newBuilder().putFields("rows", Value.newBuilder().setNumberValue(10).build()).build();
        }).build().start()) {
            Execution queued = run("steps", 1);
            // The heartbeat carries the running step and the progress message while the handler waits.
            Execution running = await(queued.getId(), e -> e.getMessage().equals("extracting"));
            assertEquals(StepStatus.STEP_STATUS_RUNNING, running.getSteps(0).getStatus());
            release.countDown();
            Execution done = await(queued.getId(), e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_SUCCEEDED);
            assertEquals(10, done.getOutputs().getFieldsOrThrow("rows").getNumberValue());
            assertEquals("10 rows", done.getSteps(0).getMessage());
            assertEquals(StepStatus.STEP_STATUS_SUCCEEDED, done.getSteps(0).getStatus());
        }
    }

    @Test
    void aWorkerClaimsForAllItsIdleSlotsAtOnceAndRunsThemConcurrently() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(run("batch-claims", 1).getId());
        }
        List<Integer> claimedPerPoll = new CopyOnWriteArrayList<>();
        List<Integer> completedPerCall = new CopyOnWriteArrayList<>();
        Channel counted = ClientInterceptors.intercept(server.channel(), new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                                                         Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void sendMessage(Q message) {
                        if (message instanceof CompleteBatchRequest batch) {
                            completedPerCall.add(batch.getCompletionsCount());
                        }
                        super.sendMessage(message);
                    }

                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onMessage(R message) {
                                if (message instanceof PollResponse poll && poll.getAssignmentsCount() > 0) {
                                    claimedPerPoll.add(poll.getAssignmentsCount());
                                }
                                super.onMessage(message);
                            }
                        }, headers);
                    }
                };
            }
        });
        AtomicInteger runningNow = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        CountDownLatch allSlotsBusy = new CountDownLatch(8);
        try (Worker w = worker(counted).concurrency(8).handle("batch-claims", task -> {
                mostAtOnce.accumulateAndGet(runningNow.incrementAndGet(), Math::max);
                allSlotsBusy.countDown();
                allSlotsBusy.await(20, TimeUnit.SECONDS); // the first eight wait for each other
                runningNow.decrementAndGet();
                return Struct.getDefaultInstance();
            }).build().start()) {
            for (String id : ids) {
                await(id, e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_SUCCEEDED);
            }
        }
        assertEquals(8, mostAtOnce.get(), "eight handlers at once");
        assertEquals(20, claimedPerPoll.stream().mapToInt(Integer::intValue).sum(), "each claimed once");
        assertTrue(claimedPerPoll.stream().anyMatch(n -> n > 1), "Polls claimed several at once: " + claimedPerPoll);
        assertTrue(claimedPerPoll.stream().allMatch(n -> n <= 8), "never more than the slots: " + claimedPerPoll);
        // Completes go out through CompleteBatch (together when slots finish together: CompleteSenderTest).
        assertEquals(20, completedPerCall.stream().mapToInt(Integer::intValue).sum(), "calls " + completedPerCall);
    }

    @Test
    void exceptionsFailRetryablyUnlessPermanent() throws Exception {
        try (Worker w = worker()
                .handle("flaky", task -> {
                    if (task.attempt() == 1) {
                        throw new IllegalStateException("first attempt fails");
                    }
                    return null;
                })
                .handle("broken", task -> {
                    throw TaskFailure.permanent("bad inputs");
                }).build().start()) {
            Execution flaky = run("flaky", 2);
            Execution broken = run("broken", 5);
            Execution retried = await(flaky.getId(), e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_SUCCEEDED);
            assertEquals(2, retried.getAttempt());
            Execution failed = await(broken.getId(), e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_FAILED);
            assertEquals(1, failed.getAttempt(), "a permanent failure is not retried");
            assertEquals("bad inputs", failed.getError());
        }
    }

    @Test
    void outputsTheServerRefusesFailTheExecutionWithTheReason() throws Exception {
        String big = "x".repeat(70 * 1024);
        try (Worker w = worker().handle("too-big", task -> Struct.newBuilder()
                .putFields("blob", Value.newBuilder().setStringValue(big).build()).build()).build().start()) {
            Execution queued = run("too-big", 3);
            Execution failed = await(queued.getId(), e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_FAILED);
            assertTrue(failed.getError().contains("outputs"), failed.getError());
        }
    }

    @Test
    void aCancelReachesTheHandlerAndEndsCancelled() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        try (Worker w = worker().heartbeatInterval(Duration.ofMillis(100)).handle("long", task -> {
            CountDownLatch cancelled = new CountDownLatch(1);
            task.onCancel(cancelled::countDown);
            started.countDown();
            cancelled.await(20, TimeUnit.SECONDS);
            throw new InterruptedException("stopped");
        }).build().start()) {
            Execution queued = run("long", 3);
            assertTrue(started.await(20, TimeUnit.SECONDS));
            server.executions().cancel(CancelRequest.newBuilder().setId(queued.getId()).build());
            Execution end = await(queued.getId(), e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_CANCELLED);
            assertEquals(1, end.getAttempt());
        }
    }

    @Test
    void closeLetsARunningHandlerFinish() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Worker w = worker().drainTime(Duration.ofSeconds(20)).handle("drain", task -> {
            started.countDown();
            // Work in progress while the worker is asked to stop: a handler that must be slow, not a
            // poll (close() has no signal that it began, for the handler to wait on).
            Thread.sleep(500);
            return null;
        }).build().start();
        Execution queued = run("drain", 1);
        assertTrue(started.await(20, TimeUnit.SECONDS));
        w.close();
        Execution after = server.executions().getExecution(GetExecutionRequest.newBuilder().setId(queued.getId())
                .build()).getExecution();
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, after.getStatus(), "finished before close returned");
    }
}
