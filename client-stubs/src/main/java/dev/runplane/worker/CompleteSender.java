package dev.runplane.worker;

import dev.runplane.v1.CompleteBatchRequest;
import dev.runplane.v1.CompleteBatchResponse;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.CompleteResult;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.function.Function;

/**
 * Group commit on the worker's side: the Completes of a worker's slots that finish while a
 * CompleteBatch is on its way go together in the next one, so a busy worker sends one call (and the
 * server writes one statement) for many executions, and an idle one sends each at once. No timer.
 *
 * <p>The slot that finds no call on its way sends, batch after batch, until its own Complete is
 * answered; then the next waiting slot whose Complete is still queued takes over. Every slot gets its
 * own result (or the call's error) and none waits for the others' handlers.
 */
final class CompleteSender {

    /** The server's limit of completions per CompleteBatch. */
    static final int MAX_ITEMS = 100;
    /** Completions per call stop here (one larger than this goes alone): half the server's default message limit. */
    static final int MAX_BYTES = 2 * 1024 * 1024;

    private final Function<CompleteBatchRequest, CompleteBatchResponse> call;
    private final Queue<Pending> queue = new ArrayDeque<>();
    private boolean sending;

    /** @param call one CompleteBatch call (with its deadline); it may throw {@link StatusRuntimeException} */
    CompleteSender(Function<CompleteBatchRequest, CompleteBatchResponse> call) {
        this.call = call;
    }

    /**
     * Sends the Complete, with any others that are ready, and returns its own result: the execution
     * or the ItemError that Complete alone would have answered.
     *
     * @throws StatusRuntimeException when the call as a whole failed (the server unreachable, say)
     */
    CompleteResult complete(CompleteRequest request) {
        Pending mine = new Pending(request);
        boolean interrupted = false;
        boolean leader;
        synchronized (this) {
            queue.add(mine);
            while (!mine.done && sending) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // a cancel may interrupt the slot: its report must go out all the same
                }
            }
            leader = !mine.done;
            sending = sending || leader;
        }
        if (leader) {
            try {
                while (!mine.done) {
                    List<Pending> batch;
                    synchronized (this) {
                        batch = take();
                    }
                    send(batch);
                    synchronized (this) {
                        notifyAll();
                    }
                }
            } finally {
                synchronized (this) {
                    sending = false;
                    notifyAll();
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return mine.outcome();
    }

    /** Completes waiting to be sent: a test looks. */
    synchronized int queued() {
        return queue.size();
    }

    /** The next batch, oldest first: at most MAX_ITEMS, and MAX_BYTES unless one item alone is larger. */
    private List<Pending> take() {
        List<Pending> batch = new ArrayList<>();
        int bytes = 0;
        while (!queue.isEmpty() && batch.size() < MAX_ITEMS) {
            int size = queue.peek().request.getSerializedSize();
            if (!batch.isEmpty() && bytes + size > MAX_BYTES) {
                break;
            }
            bytes += size;
            batch.add(queue.poll());
        }
        return batch;
    }

    /** One call for the batch; each item gets its result, or all of them the call's error. Never throws. */
    private void send(List<Pending> batch) {
        CompleteBatchRequest.Builder request = CompleteBatchRequest.newBuilder();
        batch.forEach(p -> request.addCompletions(p.request));
        try {
            List<CompleteResult> results = call.apply(request.build()).getResultsList();
            if (results.size() != batch.size()) {
                throw Status.INTERNAL.withDescription("CompleteBatch answered " + results.size() + " results for "
                        + batch.size() + " completions").asRuntimeException();
            }
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).answer(results.get(i), null);
            }
        } catch (RuntimeException e) {
            StatusRuntimeException error = e instanceof StatusRuntimeException s ? s
                    : Status.INTERNAL.withDescription(String.valueOf(e.getMessage())).withCause(e).asRuntimeException();
            batch.forEach(p -> p.answer(null, error));
        }
    }

    /** One slot's Complete, and then its outcome. Written by the sending slot, read by its own. */
    private static final class Pending {

        final CompleteRequest request;
        private volatile boolean done;
        private CompleteResult result;
        private StatusRuntimeException error;

        Pending(CompleteRequest request) {
            this.request = request;
        }

        void answer(CompleteResult result, StatusRuntimeException error) {
            this.result = result;
            this.error = error;
            this.done = true; // volatile write last: publishes result and error
        }

        CompleteResult outcome() {
            if (error != null) {
                throw error;
            }
            return result;
        }
    }
}
