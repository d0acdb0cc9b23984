package dev.runplane.server.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runplane.server.store.events.EventHub;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The hub's reconnect backoff (50 ms doubling to 2 s) starts again after every connection that
 * worked: a hub that lost its connection many times over its life still reconnects at once.
 * Without the reset, the tenth loss in a row would wait the full 2 s (1 s at the least with jitter).
 */
class HubReconnectBackoffTest {

    private static final int LOSSES = 10;

    @Test
    void everyLostConnectionIsReplacedQuickly() throws Exception {
        try (TestServer server = TestServer.start();
             Connection jdbc = TestPostgres.jdbc(server.database()); Statement s = jdbc.createStatement()) {
            EventHub hub = server.app().eventHub();
            awaitListening(hub, 1, 30_000);
            long slowest = 0;
            for (int loss = 1; loss <= LOSSES; loss++) {
                long before = hub.connects();
                long start = System.nanoTime();
                try (ResultSet rs = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND application_name = '" + EventHub.APPLICATION_NAME + "'")) {
                    rs.next();
                    assertEquals(1, rs.getInt(1), "the hub holds one connection");
                }
                awaitListening(hub, before + 1, 30_000);
                slowest = Math.max(slowest, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
            assertTrue(slowest < 900, "every reconnect within 900 ms (the backoff reset); slowest " + slowest + " ms");
        }
    }

    /** Waits until the hub has opened {@code connects} connections and listens on the last one. */
    private static void awaitListening(EventHub hub, long connects, long millis) throws InterruptedException {
        Eventually.within(Duration.ofMillis(millis), () -> hub.connects() >= connects && hub.listening());
        assertTrue(hub.connects() >= connects && hub.listening(), "the hub listens on connection " + connects);
    }
}
