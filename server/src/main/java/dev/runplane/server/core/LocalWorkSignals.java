package dev.runplane.server.core;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** {@link WorkSignals} in memory: a generation counter and a multicast of its new values. */
public final class LocalWorkSignals implements WorkSignals {

    private final AtomicLong generation = new AtomicLong();
    private final Sinks.Many<Long> changes = Sinks.many().multicast().directBestEffort();

    @Override
    public long generation() {
        return generation.get();
    }

    @Override
    public void signal() {
        long next = generation.incrementAndGet();
        // Serialized: a sink refuses concurrent emissions. Waiters that miss one value see a later one.
        synchronized (changes) {
            changes.tryEmitNext(next);
        }
    }

    @Override
    public Mono<Void> awaitAfter(long seen, Duration atMost) {
        // Subscribe to changes first, then read the counter: a signal in between is never missed.
        return Flux.merge(changes.asFlux(), Mono.fromCallable(generation::get))
                .filter(value -> value > seen)
                .next()
                .then()
                .timeout(atMost, Mono.empty());
    }
}
