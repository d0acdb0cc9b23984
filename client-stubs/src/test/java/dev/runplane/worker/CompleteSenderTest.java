package dev.runplane.worker;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.runplane.v1.CompleteBatchRequest;
import dev.runplane.v1.CompleteBatchResponse;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.CompleteResult;
import dev.runplane.v1.Execution;
import dev.runplane.v1.Lease;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker-side group commit, against a CompleteBatch function that records its calls (the
 * library's use of it against a real server: WorkerLibraryTest in the server module).
 */
class CompleteSenderTest {

    /** Records each call's completions; answers each with an execution of the lease's id. */
    private static final class Server implements Function<CompleteBatchRequest, CompleteBatchResponse> {

        final List<Integer> calls = new CopyOnWriteArrayList<>();
        final CountDownLatch firstCallMayReturn;
        volatile RuntimeException failWith;

        Server(CountDownLatch firstCallMayReturn) {
            this.firstCallMayReturn = firstCallMayReturn;
        }

        @Override
        public CompleteBatchResponse apply(CompleteBatchRequest request) {
            calls.add(request.getCompletionsCount());
            if (calls.size() == 1) {
                await(firstCallMayReturn);
            }
            if (failWith != null) {
                throw failWith;
            }
            CompleteBatchResponse.Builder response = CompleteBatchResponse.newBuilder();
            request.getCompletionsList().forEach(c -> response.addResults(CompleteResult.newBuilder()
                    .setExecution(Execution.newBuilder().setId(c.getLease().getExecutionId()))));
            return response.build();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(20, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static CompleteRequest completion(String id, int outputBytes) {
        CompleteRequest.Builder request = CompleteRequest.newBuilder()
                .setLease(Lease.newBuilder().setExecutionId(id).setToken("t").setAttempt(1));
        if (outputBytes > 0) {
            request.setOutputs(Struct.newBuilder()
                    .putFields("blob", Value.newBuilder().setStringValue("x".repeat(outputBytes)).build()));
        }
        return request.build();
    }

    /** Starts one slot per id, each completing its own; returns the threads and what each got. */
    private static List<Thread> slots(CompleteSender sender, List<String> ids, int outputBytes,
                                      ConcurrentHashMap<String, Object> outcomes) {
        List<Thread> threads = new ArrayList<>();
        for (String id : ids) {
            Thread t = new Thread(() -> {
                try {
                    outcomes.put(id, sender.complete(completion(id, outputBytes)).getExecution().getId());
                } catch (StatusRuntimeException e) {
                    outcomes.put(id, e.getStatus().getCode());
                }
            });
            t.start();
            threads.add(t);
        }
        return threads;
    }

    /**
     * A slot "first" whose call stays on its way (the server holds it) while the test queues more
     * slots behind it; then the call returns and every slot finishes.
     */
    private static final class FirstCallHeld {

        final CountDownLatch release = new CountDownLatch(1);
        final Server server = new Server(release);
        final CompleteSender sender = new CompleteSender(server);
        final ConcurrentHashMap<String, Object> outcomes = new ConcurrentHashMap<>();
        private final List<Thread> threads = new ArrayList<>();

        FirstCallHeld(RuntimeException failWith) throws InterruptedException {
            server.failWith = failWith;
            threads.addAll(slots(sender, List.of("first"), 0, outcomes));
            awaitUntil(() -> !server.calls.isEmpty(), () -> "the first call never started");
        }

        /** Starts slots for these ids and waits until all of them (and any queued before) are queued. */
        void queue(List<String> ids, int outputBytes) throws InterruptedException {
            int before = sender.queued();
            threads.addAll(slots(sender, ids, outputBytes, outcomes));
            awaitQueued(sender, before + ids.size());
        }

        void releaseAndJoin() throws InterruptedException {
            release.countDown();
            for (Thread t : threads) {
                t.join(20_000);
            }
        }
    }

    private static void awaitQueued(CompleteSender sender, int n) throws InterruptedException {
        awaitUntil(() -> sender.queued() >= n, () -> "queued " + sender.queued() + " of " + n);
    }

    /**
     * Polls {@code condition} for 20 s at most. This module cannot see the server's test helper
     * (testing/Eventually, which the server module's tests use): its two waits share this one loop.
     */
    private static void awaitUntil(BooleanSupplier condition, Supplier<String> failure) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, failure);
            Thread.sleep(1); // the wait for the condition, re-checked every millisecond
        }
    }

    @Test
    void aLoneCompleteIsSentAtOnce() {
        Server server = new Server(new CountDownLatch(0));
        CompleteResult result = new CompleteSender(server).complete(completion("a", 0));
        assertEquals("a", result.getExecution().getId());
        assertEquals(List.of(1), server.calls);
    }

    @Test
    void completesThatFinishWhileACallIsOnItsWayShareTheNextAndEachGetsItsOwnResult() throws Exception {
        FirstCallHeld held = new FirstCallHeld(null);
        List<String> others = List.of("b", "c", "d", "e", "f");
        held.queue(others, 0);
        held.releaseAndJoin();

        assertEquals(List.of(1, 5), held.server.calls, "the five that waited went in one call");
        assertEquals("first", held.outcomes.get("first"));
        others.forEach(id -> assertEquals(id, held.outcomes.get(id), "each slot gets its own result"));
    }

    @Test
    void batchesStopAtTheItemAndByteLimits() throws Exception {
        FirstCallHeld held = new FirstCallHeld(null);
        List<String> small = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            small.add("s" + i);
        }
        held.queue(small, 0);
        held.queue(List.of("l1", "l2", "l3"), 900 * 1024); // 900 KiB each: two fit under 2 MiB, not three
        held.releaseAndJoin();

        List<Integer> calls = held.server.calls;
        assertEquals(154, held.outcomes.size());
        assertTrue(held.outcomes.values().stream().allMatch(v -> v instanceof String), "all completed: " + held.outcomes);
        assertEquals(154, calls.stream().mapToInt(Integer::intValue).sum());
        assertTrue(calls.stream().allMatch(n -> n <= CompleteSender.MAX_ITEMS), "calls " + calls);
        assertEquals(1 + 2 + 1, calls.size(), "1, then 100, then 50 small and 2 large, then the third large: " + calls);
    }

    @Test
    void aFailedCallFailsEachOfItsCompletesAndTheNextCallIsMadeAgain() throws Exception {
        FirstCallHeld held = new FirstCallHeld(Status.UNAVAILABLE.withDescription("server gone").asRuntimeException());
        held.queue(List.of("b", "c"), 0);
        held.releaseAndJoin();
        assertEquals(Status.Code.UNAVAILABLE, held.outcomes.get("first"));
        assertEquals(Status.Code.UNAVAILABLE, held.outcomes.get("b"));
        assertEquals(Status.Code.UNAVAILABLE, held.outcomes.get("c"));

        held.server.failWith = null;
        assertEquals("d", held.sender.complete(completion("d", 0)).getExecution().getId());
        StatusRuntimeException stillThrown = assertThrows(StatusRuntimeException.class, () -> {
            held.server.failWith = Status.DEADLINE_EXCEEDED.asRuntimeException();
            held.sender.complete(completion("e", 0));
        });
        assertEquals(Status.Code.DEADLINE_EXCEEDED, stillThrown.getStatus().getCode());
    }
}
