package dev.runplane.server.watch;

import dev.runplane.server.store.events.EventHub;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.server.testing.Transitioner;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hung server (the hub's backend stopped with SIGSTOP: the TCP connection stays open, nothing
 * answers) is noticed by the hub's timed periodic read; it reconnects and delivers everything.
 */
class HungHubConnectionTest {

    @Test
    void aHungHubConnectionIsReplacedAndNothingIsLost() throws Exception {
        try (TestServer server = TestServer.start();
             Connection jdbc = TestPostgres.jdbc(server.database()); Statement s = jdbc.createStatement()) {
            StreamRecorder<WatchExecutionsResponse> stream = new StreamRecorder<>();
            ExecutionServiceGrpc.newStub(server.channel()).withDeadlineAfter(120, TimeUnit.SECONDS).watchExecutions(
                    WatchExecutionsRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().addPipelines("hung")).build(),
                    stream);
            server.awaitWatchers(1); // a stream "from now" sees only what commits after it joined
            Transitioner transitions = new Transitioner(server.app().database().pool());
            transitions.createAndCycle("hung", 1, 0, 1).blockLast();
            stream.awaitCount(3, Duration.ofSeconds(30));

            long pid;
            try (ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND application_name = '" + EventHub.APPLICATION_NAME + "'")) {
                assertTrue(rs.next(), "the hub's connection is in pg_stat_activity");
                pid = rs.getLong(1);
            }
            signal("STOP", pid);
            try {
                transitions.createAndCycle("hung", 10, 0, 2).blockLast();
                // 3 + 30 events: they arrive once the read on the hung connection times out (5 s).
                List<WatchExecutionsResponse> all = stream.awaitCount(33, Duration.ofSeconds(60));
                assertEquals(33, all.stream().map(r -> r.getEvent().getSequence()).distinct().count());
                assertTrue(server.app().eventHub().connects() >= 2, "the hub opened a new connection");
            } finally {
                signal("CONT", pid);
                s.execute("SELECT pg_terminate_backend(" + pid + ")");
            }
        }
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + name + " " + pid);
    }
}
