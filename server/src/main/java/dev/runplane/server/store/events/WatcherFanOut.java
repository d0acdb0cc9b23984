package dev.runplane.server.store.events;

import dev.runplane.server.core.WatchFilter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * The fan-out of the {@link EventHub}: where the hub is in the log, which local watchers are joined,
 * and who learns that work was queued. It hands each read's rows to the watchers of their
 * executions and of matching filters, and the pipelines that got work to the listeners.
 *
 * <p>Guarded by "this": the position and the watchers change together, so that a watcher that joins
 * at position P receives exactly the events after P.
 */
final class WatcherFanOut {

    private final int watcherCapacity;
    private EventPosition position;
    /** Every event of a transaction below this xid has been delivered (an unsigned xid8). */
    private long horizon;
    /** Snapshots waiting for the horizon to pass their xmax ({@link #passing}). */
    private final List<HorizonWaiter> waiting = new ArrayList<>();
    // Copy-on-write: a watcher ended while the hub offers it an event leaves at once, on the same thread.
    private final Map<UUID, Set<HubWatcher>> byExecution = new HashMap<>();
    private final Set<HubWatcher> filtered = new CopyOnWriteArraySet<>();
    /** How many watchers are joined: written under "this", read without the lock. */
    private volatile int joined;

    private final List<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();
    /** Transactions in which this replica queued work and woke its own pollers (the most recent ones). */
    private final RecentXids queuedHere = new RecentXids(4096);

    WatcherFanOut(int watcherCapacity) {
        this.watcherCapacity = watcherCapacity;
    }

    /** @param horizon every transaction below this xid had ended, and its events are at or before start */
    synchronized void startAt(EventPosition start, long horizon) {
        position = start;
        this.horizon = horizon;
    }

    synchronized EventPosition position() {
        return position;
    }

    int watcherCapacity() {
        return watcherCapacity;
    }

    /** How many watchers are joined now. */
    int joined() {
        return joined;
    }

    /**
     * Moves the position over the rows, offers their events to the watchers and tells the listeners
     * which pipelines got work. False, moving nothing, when the rows of a light read would reach a
     * watcher that joined during the read: they must be read again with their events.
     *
     * @param horizon the read's xmin when it returned every settled row below it (less than a page),
     *                else null: snapshots waiting for it to pass their xmax go on
     */
    boolean deliver(List<ReadRow> rows, boolean light, Long horizon) {
        List<Runnable> ready = new ArrayList<>();
        if (!deliverLocked(rows, light, horizon, ready)) {
            return false;
        }
        ready.forEach(Runnable::run); // outside the lock: a waiter's stream goes on
        return true;
    }

    private synchronized boolean deliverLocked(List<ReadRow> rows, boolean light, Long horizon, List<Runnable> ready) {
        if (light && joined > 0) {
            return false;
        }
        Set<String> queued = new LinkedHashSet<>();
        boolean moved = false;
        for (ReadRow row : rows) {
            if (!row.position().isAfter(position)) {
                continue;
            }
            position = row.position();
            moved = true;
            if (row.queuedPipeline() != null && !queuedHere.contains(row.position().xid())) {
                queued.add(row.queuedPipeline());
            }
            if (row.logged() != null) {
                offer(row.logged());
            }
        }
        if (moved) {
            for (HubWatcher watcher : filtered) {
                watcher.considered(position);
            }
        }
        if (horizon != null && Long.compareUnsigned(horizon, this.horizon) > 0) {
            this.horizon = horizon;
            for (Iterator<HorizonWaiter> it = waiting.iterator(); it.hasNext(); ) {
                HorizonWaiter waiter = it.next();
                if (Long.compareUnsigned(this.horizon, waiter.xmax) >= 0) {
                    it.remove();
                    HubWatcher.Offered offered = waiter.watcher.offeredAt(position);
                    ready.add(() -> waiter.sink.success(offered));
                }
            }
        }
        if (!queued.isEmpty()) {
            for (Consumer<Set<String>> listener : listeners) {
                listener.accept(queued);
            }
        }
        return true;
    }

    /**
     * Completes once every event of every transaction below {@code xmax} has been offered to the
     * watcher (the hub's horizon has passed it), with the hub's position then and how many events
     * the watcher had been handed by then: all of those up to that position, and no other. Called
     * with the watcher joined, so every read that delivers is a full one.
     */
    Mono<HubWatcher.Offered> passing(HubWatcher watcher, long xmax, Runnable wake) {
        return Mono.create(sink -> {
            HorizonWaiter waiter = new HorizonWaiter(watcher, xmax, sink);
            HubWatcher.Offered now = null;
            synchronized (this) {
                if (Long.compareUnsigned(horizon, xmax) >= 0) {
                    now = watcher.offeredAt(position);
                } else {
                    waiting.add(waiter);
                }
            }
            sink.onDispose(() -> {
                synchronized (this) {
                    waiting.remove(waiter);
                }
            });
            if (now != null) {
                sink.success(now);
            } else {
                wake.run(); // the hub reads now rather than at its next notification or tick
            }
        });
    }

    private record HorizonWaiter(HubWatcher watcher, long xmax, MonoSink<HubWatcher.Offered> sink) {
    }

    private void offer(LoggedEvent event) {
        Set<HubWatcher> ofExecution = byExecution.get(event.event().executionId());
        if (ofExecution != null) {
            for (HubWatcher watcher : ofExecution) {
                watcher.offer(event);
            }
        }
        for (HubWatcher watcher : filtered) {
            watcher.offer(event);
        }
    }

    /** See {@link EventHub#onQueued}. */
    void onQueued(Consumer<Set<String>> listener) {
        listeners.add(listener);
    }

    /** See {@link EventHub#queuedHere}. */
    void queuedHere(long xid) {
        queuedHere.add(xid);
    }

    /** A watcher that receives every event after the current position (its {@code start}). */
    synchronized HubWatcher join(UUID executionId, WatchFilter filter) {
        HubWatcher watcher = new HubWatcher(executionId, filter, position, watcherCapacity);
        if (executionId != null) {
            byExecution.computeIfAbsent(executionId, id -> new CopyOnWriteArraySet<>()).add(watcher);
        } else {
            filtered.add(watcher);
        }
        joined++;
        return watcher;
    }

    synchronized void leave(HubWatcher watcher) {
        boolean removed;
        if (watcher.executionId != null) {
            Set<HubWatcher> set = byExecution.get(watcher.executionId);
            removed = set != null && set.remove(watcher);
            if (removed && set.isEmpty()) {
                byExecution.remove(watcher.executionId);
            }
        } else {
            removed = filtered.remove(watcher);
        }
        if (removed) {
            joined--;
        }
    }

    /** Ends every watcher, each with its own exception (outside the lock: ending runs their streams' code). */
    void endAll(Supplier<RuntimeException> why) {
        List<HubWatcher> all;
        synchronized (this) {
            all = new ArrayList<>(filtered);
            byExecution.values().forEach(all::addAll);
        }
        all.forEach(w -> w.end(why.get()));
    }
}
