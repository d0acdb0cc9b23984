package dev.runplane.server.store;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * The engine of group commit (DESIGN.md "Group commit"): callers submit items; items that arrive
 * while earlier batches are being written go together into the next batch, at most
 * {@code maxInFlight} batches at once. There is no timer: an idle server writes a lone item at
 * once, and batches form by themselves under load.
 *
 * @param <P> a pending item, which carries its caller's answer
 */
final class GroupCommit<P> {

    private final Queue<P> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final int maxInFlight;
    private final Function<Queue<P>, List<P>> take;
    private final Function<List<P>, Mono<Void>> write;

    /**
     * @param take  removes the next batch from the queue (it may leave items for a later batch)
     * @param write writes one batch and answers each of its callers; it must not fail
     */
    GroupCommit(int maxInFlight, Function<Queue<P>, List<P>> take, Function<List<P>, Mono<Void>> write) {
        this.maxInFlight = maxInFlight;
        this.take = take;
        this.write = write;
    }

    void submit(P item) {
        queue.add(item);
        drain();
    }

    /** Items that arrive together are queued together, so they share batches instead of racing to the first. */
    void submitAll(List<P> items) {
        queue.addAll(items);
        drain();
    }

    /**
     * Starts batches while items wait and fewer than maxInFlight run. The slot is taken by
     * compare-and-set, never by incrementing and undoing: an undone increment could make the batch
     * that ends at that moment see a full pipe and return, while this caller saw the same and
     * returned too, leaving an item queued with nobody to write it (a Complete unanswered until the
     * next submit, which never came when every worker waited for its own: SnapshotWatchTest, CI).
     */
    private void drain() {
        while (!queue.isEmpty()) {
            int running = inFlight.get();
            if (running >= maxInFlight) {
                return; // a running batch drains again when it ends, and will see this item
            }
            if (!inFlight.compareAndSet(running, running + 1)) {
                continue;
            }
            List<P> batch = take.apply(queue);
            if (batch.isEmpty()) {
                inFlight.decrementAndGet();
                continue; // another caller took them; look again, as a batch ending now may have backed off
            }
            write.apply(batch).doFinally(signal -> {
                inFlight.decrementAndGet();
                drain();
            }).subscribe();
        }
    }
}
