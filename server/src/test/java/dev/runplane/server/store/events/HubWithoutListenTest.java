package dev.runplane.server.store.events;

import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.Mode;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.core.Trigger;
import dev.runplane.server.core.WatchFilter;
import dev.runplane.server.store.PostgresExecutionStore;
import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A database that refuses LISTEN (here: a statement it cannot parse, SQLSTATE 42601) leaves the hub
 * polling every 100 ms: events written by another store, with no local wake-up and no notification,
 * still arrive, long before the hub's regular interval (one minute here) would read them. Without a
 * watcher the hub reads light (positions and queued pipelines); with one it reads the events whole.
 * Work this replica queued (and signalled itself) is not signalled again.
 */
class HubWithoutListenTest {

    private static UUID create(PostgresExecutionStore store, String pipeline) {
        return store.create(new NewExecution(pipeline, Mode.PRODUCTION, 0, Map.of(), "{}",
                Trigger.api(), null, null, null, null, null, 1, null, null, "test")).block().id();
    }

    @Test
    void withoutListenTheHubPollsAndDeliversEveryEvent() throws Exception {
        Database database = Database.open(TestPostgres.newDatabase(), 2);
        EventHub hub = new EventHub(database.dedicatedConnections("hub-without-listen"), Duration.ofMinutes(1), 100,
                "LISTEN 1");
        try {
            LinkedBlockingQueue<Set<String>> queued = new LinkedBlockingQueue<>();
            hub.onQueued(queued::add);
            hub.start();
            Eventually.within(Duration.ofSeconds(10), () -> hub.connects() != 0);
            assertEquals(1, hub.connects());
            assertFalse(hub.listening(), "LISTEN was refused");

            PostgresExecutionStore store = new PostgresExecutionStore(database.pool()); // no link to this hub
            for (int i = 0; i < 3; i++) {
                create(store, "no-listen-" + i);
                assertEquals(Set.of("no-listen-" + i), queued.poll(5, TimeUnit.SECONDS), "read " + i + " by polling");
            }
            assertTrue(queued.isEmpty(), "each once");

            HubWatcher watcher = hub.join(null, WatchFilter.ALL);
            LinkedBlockingQueue<LoggedEvent> watched = new LinkedBlockingQueue<>();
            var subscription = watcher.events(hub.delivery()).subscribe(watched::add);
            try {
                UUID id = create(store, "watched");
                LoggedEvent event = watched.poll(5, TimeUnit.SECONDS);
                assertNotNull(event, "the watcher's event arrived by polling");
                assertEquals(id, event.event().executionId());
                assertEquals(ExecutionState.QUEUED, event.event().toStatus());
                assertEquals("watched", event.event().execution().pipeline(), "read whole, snapshot included");
                assertEquals(Set.of("watched"), queued.poll(5, TimeUnit.SECONDS));
            } finally {
                subscription.dispose();
                hub.leave(watcher);
            }
        } finally {
            hub.close();
            database.close();
        }
    }

    @Test
    void workThisReplicaQueuedAndSignalledIsNotSignalledAgain() throws Exception {
        DatabaseAddress address = TestPostgres.newDatabase();
        Database database = Database.open(address, 2);
        EventHub hub = new EventHub(database.dedicatedConnections("hub-queued-here"), Duration.ofMinutes(1), 100,
                "LISTEN 1");
        try (Connection c = DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password())) {
            LinkedBlockingQueue<Set<String>> queued = new LinkedBlockingQueue<>();
            hub.onQueued(queued::add);
            hub.start();
            c.setAutoCommit(false);
            hub.queuedHere(queue(c, "here")); // as RunBatcher does, before its Runs signal locally
            c.commit();
            queue(c, "elsewhere");
            c.commit();
            // Whether the hub reads the two transactions together or apart, "here" never reaches the listener.
            assertEquals(Set.of("elsewhere"), queued.poll(5, TimeUnit.SECONDS));
        } finally {
            hub.close();
            database.close();
        }
    }

    /** Queues an execution of {@code pipeline} in the connection's transaction; answers the transaction's id. */
    private static long queue(Connection c, String pipeline) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                WITH e AS (
                    INSERT INTO executions (id, pipeline, status, mode, scheduled_for, create_time, queue_time,
                        update_time, revision)
                    VALUES (gen_random_uuid(), ?, 'QUEUED', 'PRODUCTION', now(), now(), now(), now(), 1)
                    RETURNING id, pipeline
                ), ev AS (
                    INSERT INTO execution_events (execution_id, revision, to_status, event_time, snapshot)
                    SELECT id, 1, 'QUEUED', now(), jsonb_build_object('pipeline', pipeline) FROM e
                )
                SELECT pg_current_xact_id()::text
                """)) {
            s.setString(1, pipeline);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return EventPosition.xid(r.getString(1));
            }
        }
    }
}
