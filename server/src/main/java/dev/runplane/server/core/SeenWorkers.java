package dev.runplane.server.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the workers that call this replica, coalesced: a worker's row is written at most once per
 * {@link WorkerWindows#writeInterval()} by this replica, and at once when its pipelines or its key
 * change, never once per Poll. Recording never holds up the call: the write runs on its own, and a
 * failed one is only logged (the next sighting after the interval writes again). At most once per
 * {@link #FORGET_EVERY} a write is followed by a bounded deletion of rows unseen for
 * {@link WorkerWindows#forgetAfter()} (docs/workers.md).
 */
public final class SeenWorkers {

    private static final Logger log = LoggerFactory.getLogger(SeenWorkers.class);
    /** Rows deleted per pass at most: a long backlog of stale rows goes a batch per pass. */
    static final int FORGET_BATCH = 1000;
    /** How often this replica deletes stale rows at most. */
    static final Duration FORGET_EVERY = Duration.ofMinutes(1);

    /** What this replica last wrote for a worker (pipelines null: kept as stored), and when (System.nanoTime). */
    private record Written(List<String> pipelines, String keyId, long atNanos) {
    }

    private final WorkerSightings store;
    private final WorkerWindows windows;
    private final Map<String, Written> written = new ConcurrentHashMap<>();
    private final AtomicLong nextForget = new AtomicLong(System.nanoTime());
    private final AtomicBoolean forgetting = new AtomicBoolean();
    private final RepeatedFailureLog failures = new RepeatedFailureLog(log, "Recording a worker");

    public SeenWorkers(WorkerSightings store, WorkerWindows windows) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.windows = Objects.requireNonNull(windows, "windows must not be null");
    }

    /**
     * A Poll from this worker now, with the pipelines it polls and the id of its key ("" without
     * keys). Writes the worker's row only when this replica's last write is older than the interval
     * or said other pipelines or another key.
     */
    public void seen(String workerId, List<String> polled, String keyId) {
        record(workerId, List.copyOf(new TreeSet<>(polled)), keyId);
    }

    /**
     * A call from this worker now that names no pipelines (Heartbeat, Complete, Fail, whose lease
     * says which worker holds it): its pipelines stay what its last Poll said.
     */
    public void active(String workerId, String keyId) {
        if (workerId == null) {
            return;
        }
        Written last = this.written.get(workerId);
        record(workerId, last == null ? null : last.pipelines(), keyId);
    }

    /** @param pipelines null: unknown here, the stored ones are kept */
    private void record(String workerId, List<String> pipelines, String keyId) {
        long now = System.nanoTime();
        long interval = this.windows.writeInterval().toNanos();
        AtomicBoolean due = new AtomicBoolean();
        this.written.compute(workerId, (id, last) -> {
            if (last != null && now - last.atNanos() < interval && Objects.equals(last.pipelines(), pipelines)
                    && last.keyId().equals(keyId)) {
                return last;
            }
            due.set(true);
            return new Written(pipelines, keyId, now);
        });
        if (!due.get()) {
            return;
        }
        this.store.record(workerId, pipelines, keyId).subscribe(null, error -> this.failures.failed(error,
                "writing again at its next call after " + this.windows.writeInterval().toSeconds() + " s"),
                this.failures::succeeded);
        forgetIfDue(now);
    }

    /**
     * The stale rows go a bounded batch at a time, at most once per {@link #FORGET_EVERY} on this
     * replica, and only while workers call (a row that nobody calls for stays, unseen by ListWorkers).
     * Entries of this map older than the interval are dropped at the same time: they would be written
     * again anyway, so the map holds only the workers of the last minute or so.
     */
    private void forgetIfDue(long now) {
        long next = this.nextForget.get();
        if (now - next < 0 || !this.nextForget.compareAndSet(next, now + FORGET_EVERY.toNanos())) {
            return;
        }
        long interval = this.windows.writeInterval().toNanos();
        this.written.values().removeIf(last -> now - last.atNanos() >= interval);
        if (!this.forgetting.compareAndSet(false, true)) {
            return;
        }
        this.store.forget(this.windows.forgetAfter(), FORGET_BATCH)
                .doFinally(signal -> this.forgetting.set(false))
                .subscribe(forgotten -> {
                    if (forgotten > 0) {
                        log.debug("Forgot {} workers unseen for {}", forgotten, this.windows.forgetAfter());
                    }
                }, error -> this.failures.failed(error, "forgetting stale workers again in "
                        + FORGET_EVERY.toSeconds() + " s"));
    }
}
