package dev.runplane.server.store.events;

import java.time.Duration;
import java.util.UUID;
import java.util.function.Predicate;
import reactor.core.publisher.Mono;

/**
 * AwaitExecution's wait (see {@link dev.runplane.server.core.ExecutionWatch#awaitEnd}): a hub watcher
 * of the execution's terminal event, a timer, and at most two reads of the current state, each
 * through the watchers' read gate. Nothing polls: between the reads the wait is an object in the
 * hub's map and a timer task, both gone as soon as the call ends, however it ends.
 */
final class ExecutionAwaits {

    private final EventHub hub;
    private final EventLog log;

    ExecutionAwaits(EventHub hub, EventLog log) {
        this.hub = hub;
        this.log = log;
    }

    <T> Mono<T> await(UUID id, Mono<T> read, Predicate<T> ended, Duration timeout) {
        return Mono.defer(() -> {
            long deadline = System.nanoTime() + timeout.toNanos();
            // Joined before the first read: a terminal commit that the read misses comes after the
            // hub's position at this moment, so the watcher receives it.
            HubWatcher watcher = hub.joinForEnd(id);
            Mono<T> current = log.gated(read);
            return current
                    .flatMap(now -> ended.test(now) ? Mono.just(now) : woken(watcher, deadline).then(current))
                    .onErrorMap(e -> PostgresExecutionWatch.ended(e, watcher, 0, 0))
                    .doFinally(signal -> hub.leave(watcher));
        });
    }

    /** Completes when the terminal event arrives or the deadline passes, whichever is first. */
    private Mono<Void> woken(HubWatcher watcher, long deadline) {
        Mono<Void> terminal = watcher.events(hub.delivery()).next().then()
                // Only terminal events are offered, and an execution ends once: a full queue means it ended.
                .onErrorResume(HubWatcher.Overflow.class, e -> Mono.empty());
        Mono<Void> timer = Mono.defer(() -> Mono.delay(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))
                .then());
        return Mono.firstWithSignal(terminal, timer);
    }
}
