package dev.runplane.server.store.events;

import java.util.ArrayDeque;
import java.util.Deque;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Lets at most {@code limit} history reads use the pool at once; the others wait here, in order,
 * without a deadline. A reconnect storm of a thousand watchers then queues in memory instead of
 * timing out in the pool's acquire queue and starving the request path.
 */
final class ReadGate {

    private final int limit;
    private final Deque<Waiter> waiting = new ArrayDeque<>();
    private int active;

    ReadGate(int limit) {
        this.limit = limit;
    }

    <T> Flux<T> run(Flux<T> work) {
        return Flux.usingWhen(acquire(), permit -> work, permit -> release(), (permit, e) -> release(),
                permit -> release());
    }

    <T> Mono<T> run(Mono<T> work) {
        return run(work.flux()).next();
    }

    private Mono<Boolean> acquire() {
        return Mono.create(sink -> {
            Waiter waiter = new Waiter(sink);
            boolean now;
            synchronized (this) {
                now = active < limit;
                if (now) {
                    active++;
                    waiter.granted = true;
                } else {
                    waiting.add(waiter);
                }
            }
            sink.onCancel(() -> cancelled(waiter));
            if (now) {
                sink.success(true);
            }
        });
    }

    private void cancelled(Waiter waiter) {
        boolean wasGranted;
        synchronized (this) {
            wasGranted = waiter.granted;
            waiting.remove(waiter);
        }
        if (wasGranted) {
            release(); // granted but never taken: give the permit on
        }
    }

    private Mono<Void> release() {
        return Mono.fromRunnable(this::releaseNow);
    }

    private void releaseNow() {
        Waiter next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                active--;
                return;
            }
            next.granted = true; // the permit passes straight to the next waiter
        }
        next.sink.success(true);
    }

    private static final class Waiter {
        final MonoSink<Boolean> sink;
        boolean granted;

        Waiter(MonoSink<Boolean> sink) {
            this.sink = sink;
        }
    }
}
