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

/** {@link WorkSignals} in memory: per group of pipelines, a generation counter and a FIFO of waiters. */
public final class LocalWorkSignals implements WorkSignals {

    private final Map<List<String>, Group> groups = new ConcurrentHashMap<>();

    private Group group(Collection<String> pipelines) {
        List<String> key = pipelines.stream().distinct().sorted().toList();
        return groups.computeIfAbsent(key, Group::new);
    }

    @Override
    public long generation(Collection<String> pipelines) {
        return group(pipelines).generation.get();
    }

    @Override
    public void signal(String pipeline) {
        for (Group group : groups.values()) {
            if (pipeline == null || group.pipelines.contains(pipeline)) {
                group.wakeOne();
            }
        }
    }

    @Override
    public void pass(Collection<String> pipelines) {
        group(pipelines).wakeOne();
    }

    @Override
    public Mono<Void> awaitAfter(Collection<String> pipelines, long seen, Duration atMost) {
        Group group = group(pipelines);
        return Mono.<Void>create(sink -> {
            Waiter waiter = new Waiter(sink);
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

        Group(List<String> pipelines) {
            this.pipelines = pipelines;
        }

        void wakeOne() {
            generation.incrementAndGet();
            Waiter waiter;
            while ((waiter = waiters.poll()) != null) {
                if (waiter.wake()) {
                    return;
                }
            }
        }
    }

    private static final class Waiter {
        final AtomicBoolean done = new AtomicBoolean();
        final MonoSink<Void> sink;

        Waiter(MonoSink<Void> sink) {
            this.sink = sink;
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
