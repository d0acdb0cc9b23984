package dev.runplane.server.store.events;

import dev.runplane.server.store.Sql;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Announces the store's commits without a NOTIFY inside each transaction: the local event hub is
 * woken in-process at once, and the other replicas (and anything else listening on
 * {@code runplane_events}) get at most one NOTIFY per {@code window}, always sent after the commits
 * it announces. Correctness never depends on it: hubs also poll the log.
 */
public final class CoalescingNotifier {

    private static final Logger log = LoggerFactory.getLogger(CoalescingNotifier.class);

    /** What the store's statements set so that the V3 trigger leaves the announcing to this class. */
    static final String MARK = "set_config('runplane.notify', 'coalesced', true)";

    private final ConnectionFactory connections;
    private final Duration window;
    private final Runnable localWake;
    private final LongConsumer queuedHere;
    private final AtomicBoolean scheduled = new AtomicBoolean();

    /**
     * The statement with its {@code /*mark*}{@code /} placeholder (right after the event INSERT's
     * {@code FROM e}) filled in: marked when a notifier announces its commits, unmarked (so the
     * trigger announces them) without one; compacted ({@link Sql#compact}).
     */
    public static String marked(String sql, CoalescingNotifier notifier) {
        return Sql.compact(sql.replace("/*mark*/", notifier == null ? "" : ", (SELECT " + MARK + ") AS mark"));
    }

    /**
     * @param localWake  wakes this replica's event hub after a commit
     * @param queuedHere told of each transaction in which the store queued work and signalled it locally
     */
    public CoalescingNotifier(ConnectionFactory connections, Duration window, Runnable localWake,
                              LongConsumer queuedHere) {
        this.connections = connections;
        this.window = window;
        this.localWake = localWake;
        this.queuedHere = queuedHere;
    }

    /** The store queued work in transaction {@code xid} and woke this replica's pollers itself. */
    public void queued(long xid) {
        queuedHere.accept(xid);
    }

    /** Called after a statement of the store has committed. */
    public void committed() {
        localWake.run();
        if (scheduled.compareAndSet(false, true)) {
            Mono.delay(window)
                    // Cleared BEFORE the NOTIFY starts: a commit from now on schedules the next one, so
                    // every commit is followed by a NOTIFY that starts after it.
                    .doOnNext(t -> scheduled.set(false))
                    .then(Flux.usingWhen(connections.create(),
                            c -> Flux.from(c.createStatement("SELECT pg_notify('runplane_events', '')").execute())
                                    .flatMap(r -> r.map((row, meta) -> 1)),
                            Connection::close).then())
                    .subscribe(null, e -> log.debug("Coalesced NOTIFY failed (hubs poll the log): {}", e.toString()));
        }
    }
}
