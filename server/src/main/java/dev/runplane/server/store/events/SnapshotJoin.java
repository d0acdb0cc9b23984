package dev.runplane.server.store.events;

import dev.runplane.server.core.WatchFilter;
import dev.runplane.server.core.WatchMessage;
import dev.runplane.server.core.error.WatcherTooSlowException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A snapshot joined to the live events without a gap or a repeat (docs/events.md, "Snapshot, then
 * live"). The watcher joined the hub at P before the snapshot's statement ran; the statement also
 * returned its MVCC snapshot's xmax, above every transaction whose changes the rows show. Once the
 * hub has delivered every event below xmax, its position is Q: the events it handed the watcher up
 * to Q were committed while the rows were read, and are sent if the row of their execution does
 * not show them (newer revision, or no row); then the end, with Q as its resume point; then every
 * later event, which no row shows. One per stream; its state lives until the end is sent.
 */
final class SnapshotJoin {

    private final EventHub hub;
    private final HubWatcher watcher;
    private final int cap;
    private final Duration rowsTimeLimit;
    /** Each snapshot row's revision: what the client holds. Dropped once the end is sent. */
    private Map<UUID, Long> revisions = new HashMap<>();
    private int count;
    private boolean truncated;
    private long xmax;

    /** @param rowsTimeLimit how long the client may take to take every row ({@link PostgresExecutionWatch#SNAPSHOT_TIME_LIMIT}) */
    SnapshotJoin(EventHub hub, HubWatcher watcher, int cap, Duration rowsTimeLimit) {
        this.hub = hub;
        this.watcher = watcher;
        this.cap = cap;
        this.rowsTimeLimit = rowsTimeLimit;
    }

    /** The rows ({@code cap + 1} asked for, to know whether there were more), then the join. */
    Flux<Outgoing> items(ExecutionSnapshots snapshots, WatchFilter filter) {
        Flux<Outgoing> rows = snapshots.read(filter.search(), cap + 1).handle((read, sink) -> {
            xmax = read.xmax(); // the same in every row: one statement
            if (read.execution() == null) {
                return;
            }
            if (count == cap) {
                truncated = true;
                return;
            }
            revisions.put(read.execution().id(), read.execution().revision());
            count++;
            sink.next(Outgoing.message(new WatchMessage.SnapshotRow(read.execution())));
        });
        // Until the live part, the watcher's queue is not read: its end (shutdown, outage) and the
        // rows' time limit cut in here.
        AtomicReference<Throwable> cut = new AtomicReference<>();
        Mono<Long> cutter = Mono.firstWithSignal(Mono.delay(rowsTimeLimit)
                        .then(Mono.<Long>error(() -> WatcherTooSlowException.snapshot(rowsTimeLimit))),
                        watcher.<Long>endSignal())
                .onErrorResume(e -> {
                    cut.set(e);
                    return Mono.just(0L);
                });
        return rows.takeUntilOther(cutter)
                .concatWith(Mono.defer(() -> cut.get() != null ? Mono.<HubWatcher.Offered>error(cut.get())
                        : Mono.firstWithSignal(hub.passing(watcher, xmax), watcher.<HubWatcher.Offered>endSignal())
                                .publishOn(hub.delivery()))
                        .flatMapMany(this::live));
    }

    /** The watcher's queue: the {@code handed} events up to Q, the end, then the rest as they come. */
    private Flux<Outgoing> live(HubWatcher.Offered atQ) {
        Outgoing end = Outgoing.snapshotEnd(new WatchMessage.SnapshotEnd(ResumePoint.sequenceOf(atQ.position()),
                count, truncated), atQ.position());
        long upToQ = atQ.handed();
        Flux<LoggedEvent> queued = watcher.events(hub.delivery());
        if (upToQ == 0) {
            revisions = null;
            return Flux.just(end).concatWith(queued.map(Outgoing::queued));
        }
        AtomicLong taken = new AtomicLong();
        return queued.concatMapIterable(event -> {
            long index = taken.incrementAndGet();
            if (index > upToQ) {
                return List.of(Outgoing.queued(event));
            }
            Outgoing item = (shown(event) ? Outgoing.leftOut(event) : Outgoing.queued(event)).beforeSnapshotEnd();
            if (index < upToQ) {
                return List.of(item);
            }
            revisions = null;
            return List.of(item, end);
        });
    }

    /** Whether the snapshot row of the event's execution already shows it. */
    private boolean shown(LoggedEvent event) {
        Long revision = revisions.get(event.event().executionId());
        return revision != null && event.event().revision() <= revision;
    }
}
