package dev.runplane.server.store.events;

import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.WatchFilter;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Follows the event log for one server replica and fans the events out to its local watchers.
 *
 * <p>It holds ONE dedicated connection, outside the request pool (application_name
 * {@value #APPLICATION_NAME}), however many watchers there are. A NOTIFY on {@code runplane_events}
 * is only a wake-up: the hub then reads the log after its position, ordered by (xid, sequence) and
 * only below the oldest running transaction, so a late commit is never skipped and a lost
 * notification loses nothing. A timer reads too, which both covers an engine without LISTEN and
 * notices a hung server (every read has a timeout). When the connection dies the hub reconnects with
 * backoff and reads what it missed.
 *
 * <p>This class is the hub's face and its statements; its two parts do the work: the
 * {@link LogFollower} (the connection and the reading loop) and the {@link WatcherFanOut} (the
 * position, the joined watchers and who learns of queued work).
 */
public final class EventHub implements AutoCloseable {

    /** How the hub's connection shows in pg_stat_activity. */
    public static final String APPLICATION_NAME = "runplane-event-hub";
    static final String CHANNEL = "runplane_events";

    private final Scheduler delivery = Schedulers.parallel();
    private final WatcherFanOut fanOut;
    private final LogFollower follower;

    /**
     * @param connections     a factory that opens plain connections (not the pool)
     * @param pollInterval    how often the hub reads without a notification (and checks its connection)
     * @param watcherCapacity how many events each watcher may have waiting before it is ended
     */
    public EventHub(PostgresqlConnectionFactory connections, Duration pollInterval, int watcherCapacity) {
        this(connections, pollInterval, watcherCapacity, "LISTEN " + CHANNEL);
    }

    /** @param listenSql the statement that subscribes to notifications (tests pass one the server refuses) */
    EventHub(PostgresqlConnectionFactory connections, Duration pollInterval, int watcherCapacity, String listenSql) {
        this.fanOut = new WatcherFanOut(watcherCapacity);
        this.follower = new LogFollower(connections, pollInterval, listenSql, fanOut);
    }

    /** Takes the current end of the log as the starting position (blocking: start-up only), then follows it. */
    public EventHub start() {
        follower.start();
        return this;
    }

    /**
     * Calls {@code listener} with the pipelines of the executions each read found queued (in log
     * order, never empty; without those queued by this replica, {@link #queuedHere}), on the hub's
     * thread: it must be quick and must not block (waking waiting polls, say).
     */
    public void onQueued(Consumer<Set<String>> listener) {
        fanOut.onQueued(listener);
    }

    /**
     * This replica queued work in transaction {@code xid} and has woken its own pollers: the hub does
     * not tell them again when it reads that transaction's events (a poller woken for work already
     * claimed claims nothing: measured under WorkerBenchmark with 16 workers, 40% of the empty
     * claims). Only the most recent 4,096 such transactions are remembered; an older one is signalled
     * again, which costs a claim, never work.
     */
    public void queuedHere(long xid) {
        fanOut.queuedHere(xid);
    }

    /**
     * This replica committed events: a watcher here gets them now rather than when the NOTIFY comes
     * back (within the notifier's few milliseconds). Without watchers nobody here waits for them (work
     * queued here has woken this replica's pollers already), so the hub reads once per NOTIFY instead
     * of once per commit: several times fewer reads under load.
     */
    public void wake() {
        if (fanOut.joined() > 0) {
            follower.wake();
        }
    }

    /**
     * Joins a watcher: it receives every event after the hub's current position (its {@code start}).
     *
     * @param executionId one execution, or null for every execution that matches the filter
     */
    HubWatcher join(UUID executionId, WatchFilter filter) {
        return fanOut.join(executionId, filter);
    }

    /** See {@link WatcherFanOut#passing}: the hub reads at once, then completes it from its own reads. */
    Mono<HubWatcher.Offered> passing(HubWatcher watcher, long xmax) {
        return fanOut.passing(watcher, xmax, follower::wake);
    }

    void leave(HubWatcher watcher) {
        fanOut.leave(watcher);
    }

    Scheduler delivery() {
        return delivery;
    }

    int watcherCapacity() {
        return fanOut.watcherCapacity();
    }

    /** How many watchers are joined now (for tests and metrics). */
    public int watchers() {
        return fanOut.joined();
    }

    /**
     * How far behind the log this hub may be: the time since a read last found every committed event
     * delivered. A healthy hub stays under its poll interval (it reads at least that often); the figure
     * grows while the hub is disconnected, has a backlog, or waits on an older open transaction.
     */
    public Duration lag() {
        return follower.lag();
    }

    /** How many times the hub has opened its connection (1 + reconnects). */
    public long connects() {
        return follower.connects();
    }

    /** Whether the current connection is LISTENing (false while disconnected or polling). */
    public boolean listening() {
        return follower.listening();
    }

    @Override
    public String toString() {
        return "EventHub[position=" + fanOut.position() + ", reads=" + follower.reads() + ", connects="
                + follower.connects() + ", listening=" + follower.listening() + ", watchers=" + watchers() + "]";
    }

    /**
     * Ends every watcher with UNAVAILABLE and its resume point because the database stopped answering
     * (the outage is seen by the server's database check, not by a hub reconnect, which alone ends no
     * stream). The hub keeps following the log and catches up once the database is back.
     */
    public void endWatchersForOutage() {
        fanOut.endAll(HubWatcher.DatabaseLost::new);
    }

    /** Ends every watcher (they may resume on another replica), then stops following the log. */
    @Override
    public void close() {
        fanOut.endAll(HubWatcher.HubClosed::new);
        follower.stop();
    }
}
