package dev.runplane.server.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Every replica runs one: each interval it hands expired leases back to the queue (or fails them),
 * times out executions past their max runtime, and ends cancels whose worker never answered. The
 * store's statement skips rows another replica holds, so replicas never fight over a row.
 */
public final class Reaper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Reaper.class);
    /** Rows per statement; a longer backlog is drained by passes right after each other. */
    static final int BATCH = 500;

    private final WorkerStore store;
    private final WorkerSettings settings;
    private final RepeatedFailureLog failures = new RepeatedFailureLog(log, "Reaper pass");
    private Disposable running;

    /** The store wakes the waiting pollers after each statement that requeued work. */
    public Reaper(WorkerStore store, WorkerSettings settings) {
        this.store = store;
        this.settings = settings;
    }

    /** One pass, repeated while a batch comes back full. Returns how many executions changed. */
    public Mono<Integer> reapOnce() {
        return store.reap(settings, BATCH)
                .expand(result -> result.changed() >= BATCH ? store.reap(settings, BATCH) : Mono.empty())
                .map(WorkerStore.ReapResult::changed)
                .reduce(0, Integer::sum);
    }

    public synchronized Reaper start() {
        running = Flux.interval(settings.reaperInterval(), settings.reaperInterval())
                .onBackpressureDrop()
                .concatMap(tick -> reapOnce().doOnNext(changed -> failures.succeeded()).onErrorResume(error -> {
                    failures.failed(error, "retrying every " + settings.reaperInterval().toMillis() + " ms");
                    return Mono.just(0);
                }), 1)
                .subscribe();
        return this;
    }

    @Override
    public synchronized void close() {
        if (running != null) {
            running.dispose();
        }
    }
}
