package dev.runplane.server.core;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * {@link WorkSignals} in memory: per group of pipelines, a generation counter and a FIFO of waiters.
 * A group nobody has polled for {@code idle} (10 minutes by default) and nobody waits on is dropped,
 * so that pipeline sets polled once do not stay forever. (A poller that picks up a group in the very
 * moment it is dropped waits on a group no signal reaches: its fallback re-check still finds the work.)
 */
public final class LocalWorkSignals implements WorkSignals {

    private static final Duration DEFAULT_IDLE = Duration.ofMinutes(10);

    private final Map<List<String>, Group> groups = new ConcurrentHashMap<>();
    private final long idleNanos;
    private final AtomicLong lastPrune = new AtomicLong(System.nanoTime());

    public LocalWorkSignals() {
        this(DEFAULT_IDLE);
    }

    LocalWorkSignals(Duration idle) {
        this.idleNanos = idle.toNanos();
    }

    private Group group(Collection<String> pipelines) {
        List<String> key = pipelines.stream().distinct().sorted().toList();
        Group group = groups.computeIfAbsent(key, Group::new);
        group.lastUsed = System.nanoTime();
        return group;
    }

    /** How many groups are kept (for tests). */
    int groupCount() {
        return groups.size();
    }

    /** Drops idle groups without waiters; runs at most once per idle period. */
    private void pruneIdleGroups() {
        long now = System.nanoTime();
        long last = lastPrune.get();
        if (now - last < idleNanos || !lastPrune.compareAndSet(last, now)) {
            return;
        }
        groups.values().removeIf(group -> group.waiters.isEmpty() && now - group.lastUsed > idleNanos);
    }

    @Override
    public long generation(Collection<String> pipelines) {
        return group(pipelines).generation.get();
    }

    @Override
    public void signal(String pipeline, int count) {
        for (Group group : groups.values()) {
            if (pipeline == null || group.pipelines.contains(pipeline)) {
                group.wake(pipeline == null ? 1 : count);
            }
        }
        pruneIdleGroups();
    }

    @Override
    public boolean waiting(Collection<String> pipelines) {
        return !group(pipelines).waiters.isEmpty();
    }

    @Override
    public void pass(Collection<String> pipelines) {
        group(pipelines).wake(1);
    }

    @Override
    public Mono<Void> awaitAfter(Collection<String> pipelines, int batchSize, long seen, Duration atMost) {
        Group group = group(pipelines);
        return Mono.<Void>create(sink -> {
            Waiter waiter = new Waiter(sink, Math.max(1, batchSize));
            group.waiters.add(waiter);
            sink.onDispose(() -> {
                if (waiter.done.compareAndSet(false, true)) {
                    group.waiters.remove(waiter);
                }
            });
            // A signal between the caller's look at the queue and this registration is not lost.
            if (group.generation.get() > seen && waiter.wake()) {
                group.waiters.remove(waiter);
            }
        }).timeout(atMost, Mono.empty());
    }

    private static final class Group {
        final List<String> pipelines;
        final AtomicLong generation = new AtomicLong();
        final Queue<Waiter> waiters = new ConcurrentLinkedQueue<>();
        volatile long lastUsed = System.nanoTime();

        Group(List<String> pipelines) {
            this.pipelines = pipelines;
        }

        /** Wakes waiters, oldest first, until their batch sizes cover {@code count} executions. */
        void wake(int count) {
            generation.incrementAndGet();
            int covered = 0;
            Waiter waiter;
            while (covered < count && (waiter = waiters.poll()) != null) {
                if (waiter.wake()) {
                    covered += waiter.batchSize;
                }
            }
        }
    }

    private static final class Waiter {
        final AtomicBoolean done = new AtomicBoolean();
        final MonoSink<Void> sink;
        final int batchSize;

        Waiter(MonoSink<Void> sink, int batchSize) {
            this.sink = sink;
            this.batchSize = batchSize;
        }

        boolean wake() {
            if (done.compareAndSet(false, true)) {
                sink.success();
                return true;
            }
            return false;
        }
    }
}
