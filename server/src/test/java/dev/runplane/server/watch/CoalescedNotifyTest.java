package dev.runplane.server.watch;

import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.RunRequest;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's own commits are announced by the coalescing notifier (a NOTIFY after commit, not
 * inside the transaction); every other writer is still announced by the trigger. Either way a
 * listener on runplane_events (another replica's hub, the workers' long-polls) hears of it.
 */
class CoalescedNotifyTest {

    private static TestServer server;
    private static Connection listener;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        listener = TestPostgres.jdbc(server.database());
        try (Statement s = listener.createStatement()) {
            s.execute("LISTEN runplane_events");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        listener.close();
        server.close();
    }

    /** Notifications received within the timeout (0 if none). */
    private static int drain(int timeoutMillis) throws Exception {
        PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(timeoutMillis);
        int count = received == null ? 0 : received.length;
        for (int i = 0; count > 0 && i < received.length; i++) {
            assertEquals("runplane_events", received[i].getName());
        }
        return count;
    }

    @Test
    void aRunThroughTheServerIsAnnouncedAfterItCommits() throws Exception {
        drain(1);
        server.executions().run(RunRequest.newBuilder().setPipeline("announced").build());
        assertTrue(drain(10_000) >= 1, "a NOTIFY reached the listener");
    }

    @Test
    void theTriggerStaysSilentOnlyForMarkedTransactions() throws Exception {
        try (Connection c = TestPostgres.jdbc(server.database()); Statement s = c.createStatement()) {
            String id = server.executions().run(RunRequest.newBuilder().setPipeline("marked").build())
                    .getExecution().getId();
            drain(200); // the Run's own coalesced NOTIFY
            c.setAutoCommit(false);
            s.execute("SELECT set_config('runplane.notify', 'coalesced', true)");
            insertEvent(s, id, 100);
            c.commit();
            assertEquals(0, drain(300), "a marked transaction is left to the notifier");
            insertEvent(s, id, 101);
            c.commit();
            assertEquals(1, drain(10_000), "any other writer is announced by the trigger");
        }
    }

    private static void insertEvent(Statement s, String id, int revision) throws Exception {
        s.execute("INSERT INTO execution_events (execution_id, revision, to_status, event_time, snapshot)"
                + " VALUES ('" + UUID.fromString(id) + "', " + revision + ", 'QUEUED', now(), '{}')");
    }
}
