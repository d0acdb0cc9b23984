package dev.runplane.server.store.events;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Adds heartbeats to a stream: when no message was sent for the interval, one made at that moment.
 *
 * <p>A timer ticks a few times per interval on Reactor's timer (it never blocks), and the ticks
 * join the stream's items in ONE ordered step, so a heartbeat is made after every earlier item has
 * gone downstream: what it says (a resume point) is made from what was really sent. The step passes
 * items only as the subscriber asks (gRPC's readiness), so heartbeats respect flow control like the
 * rest; ticks that arrive while it cannot send are dropped, not queued.
 */
final class Heartbeats {

    private static final Object TICK = new Object();
    private static final Object END = new Object();

    private Heartbeats() {
    }

    /**
     * @param interval  no message for this long makes a heartbeat; null for none
     * @param isMessage which items are sent to the client (others are bookkeeping that passes through)
     * @param heartbeat makes a heartbeat, when it is due
     */
    static <T> Flux<T> every(Duration interval, Flux<T> items, Predicate<T> isMessage, Supplier<T> heartbeat,
                             Scheduler timer) {
        if (interval == null) {
            return items;
        }
        long nanos = interval.toNanos();
        Duration tick = interval.dividedBy(4);
        return Flux.defer(() -> {
            AtomicLong lastSent = new AtomicLong(System.nanoTime());
            Flux<Object> ticks = Flux.interval(tick, tick, timer).onBackpressureDrop().map(t -> TICK);
            // END marks the items' completion: the merge would otherwise wait for the endless timer.
            Flux<Object> all = Flux.merge(1, items.cast(Object.class).concatWith(Mono.just(END)), ticks);
            return all.<T>handle((item, sink) -> {
                if (item == END) {
                    sink.complete();
                    return;
                }
                long now = System.nanoTime();
                if (item == TICK) {
                    if (now - lastSent.get() >= nanos) {
                        lastSent.set(now);
                        sink.next(heartbeat.get());
                    }
                    return;
                }
                @SuppressWarnings("unchecked") T value = (T) item;
                if (isMessage.test(value)) {
                    lastSent.set(now);
                }
                sink.next(value);
            });
        });
    }
}
