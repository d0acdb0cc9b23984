package dev.runplane.server.watch;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.Execution;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.server.testing.Transitioner;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 1,000 concurrent WatchExecution streams on one replica use a fixed number of database connections. */
class ManyWatchersTest {

    private static final int EXECUTIONS = 100;
    private static final int WATCHERS_EACH = 10;
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Connections to the test database other than the asking one, as pg_stat_activity shows them. */
    private static int connections(Statement s) throws Exception {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void aThousandStreamsAllReceiveTheirEventsOnAFixedNumberOfConnections() throws Exception {
        try (TestServer server = TestServer.start();
             Connection jdbc = TestPostgres.jdbc(server.database()); Statement s = jdbc.createStatement()) {
            Transitioner transitions = new Transitioner(server.app().database().pool());
            List<Execution> executions = Flux.range(0, EXECUTIONS)
                    .flatMap(i -> transitions.create("crowd", Map.of()), 8).collectList().block();
            int poolSize = dev.runplane.server.ServerConfig.defaults().poolSize(); // what TestServer uses
            int before = connections(s);

            List<StreamRecorder<WatchExecutionResponse>> streams = new ArrayList<>();
            ExecutionServiceGrpc.ExecutionServiceStub stub = ExecutionServiceGrpc.newStub(server.channel())
                    .withDeadlineAfter(120, TimeUnit.SECONDS);
            for (Execution execution : executions) {
                for (int w = 0; w < WATCHERS_EACH; w++) {
                    StreamRecorder<WatchExecutionResponse> stream = new StreamRecorder<>();
                    stub.watchExecution(WatchExecutionRequest.newBuilder().setId(execution.id().toString()).build(),
                            stream);
                    streams.add(stream);
                }
            }
            for (StreamRecorder<WatchExecutionResponse> stream : streams) {
                stream.awaitCount(1, WAIT);
            }
            assertEquals(EXECUTIONS * WATCHERS_EACH, server.app().eventHub().watchers());
            int open = connections(s);

            Flux.fromIterable(executions)
                    .flatMap(e -> transitions.apply(e.id(), Action.CLAIM).then(transitions.apply(e.id(), Action.COMPLETE)), 8)
                    .blockLast();
            for (StreamRecorder<WatchExecutionResponse> stream : streams) {
                assertNull(stream.awaitEnd(WAIT));
                assertEquals(List.of(1L, 2L, 3L), stream.values().stream().map(r -> r.getEvent().getRevision()).toList());
            }
            int after = connections(s);

            // The pool (at most poolSize) plus the hub's one connection, however many streams.
            String counts = "before " + before + ", with 1,000 open streams " + open + ", after " + after
                    + " (pool max " + poolSize + " + 1 hub)";
            assertTrue(open <= poolSize + 1 && after <= poolSize + 1, counts);
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND application_name = 'runplane-event-hub'")) {
                rs.next();
                assertEquals(1, rs.getInt(1), "one hub connection");
            }
            org.slf4j.LoggerFactory.getLogger(ManyWatchersTest.class).info("pg_stat_activity connections: {}", counts);
        }
    }
}
