package dev.runplane.server.cli.client;

import com.google.protobuf.util.JsonFormat;
import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.cli.Main;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.WatchExecutionsResponse;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Long waits outlive their connection: a server that closes connections at a maximum age of 1 s
 * (plus 1 s of grace) cuts every watch and await of the CLI, which go on on a new connection
 * without losing or repeating anything, instead of ending as if the server were gone (exit code 8).
 */
class ConnectionCutTest {

    private static Application app;
    private static String server;

    @BeforeAll
    static void start() {
        OperationsConfig.TransportLimits d = OperationsConfig.TransportLimits.DEFAULT;
        OperationsConfig ops = OperationsConfig.defaults().withTransport(new OperationsConfig.TransportLimits(
                d.maxInboundMessageBytes(), d.maxInboundMetadataBytes(), d.maxConcurrentCallsPerConnection(),
                d.permitKeepAliveTime(), d.permitKeepAliveWithoutCalls(), d.maxConnectionIdle(),
                Duration.ofSeconds(1), Duration.ofSeconds(1)));
        app = Application.start(ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0), ops);
        server = "127.0.0.1:" + app.port();
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void watchingAPipelineResumesAfterTheConnectionIsClosed() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int before = app.eventHub().watchers();
        Thread watch = new Thread(() -> new CommandLine(new Main()).setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute("watch", "--pipeline", "cut", "-o", "jsonl", "--server", server));
        watch.start();
        Eventually.await(Duration.ofSeconds(30), "the watch is open", () -> app.eventHub().watchers() > before);
        String first = run();
        Eventually.await(Duration.ofSeconds(30), "the first event", () -> out.toString().contains(first));
        Eventually.await(Duration.ofSeconds(30), "the connection is cut and the watch resumed",
                () -> err.toString().contains("resuming after sequence"));
        String second = run();
        Eventually.await(Duration.ofSeconds(30), "the second event, after the cut", () -> out.toString().contains(second));
        watch.interrupt();
        watch.join(TimeUnit.SECONDS.toMillis(30));
        List<String> ids = new ArrayList<>();
        for (String line : out.toString().strip().split("\n")) {
            WatchExecutionsResponse.Builder message = WatchExecutionsResponse.newBuilder();
            JsonFormat.parser().merge(line, message);
            if (message.hasEvent()) {
                ids.add(message.getEvent().getExecutionId());
            }
        }
        assertEquals(List.of(first, second), ids, "each once, in order: " + out + err);
    }

    @Test
    void awaitingOutlivesItsConnection() throws Exception {
        String id = run();
        Cli.Result await = Cli.run("await", id, "--timeout", "3s", "--server", server);
        assertEquals(ExitCodes.STILL_RUNNING, await.code(), "not 8 (unreachable): " + await);
        Cli.Result watch = Cli.run("run", "cut", "--watch", "--timeout", "3s", "-o", "jsonl", "--server", server);
        assertEquals(ExitCodes.STILL_RUNNING, watch.code(), watch.toString());
        ExecutionEvent.Builder event = ExecutionEvent.newBuilder();
        JsonFormat.parser().merge(watch.out().strip().lines().findFirst().orElseThrow(), event);
        assertEquals(1, event.getRevision());
        assertEquals(1, watch.out().strip().lines().count(), "the current state once, not again after the cut: " + watch);
        assertTrue(watch.err().contains("still QUEUED after 3.0s"), watch.err());
    }

    private static String run() throws Exception {
        Cli.Result run = Cli.run("run", "cut", "-o", "json", "--server", server);
        assertEquals(0, run.code(), run.toString());
        Execution.Builder execution = Execution.newBuilder();
        JsonFormat.parser().merge(run.out(), execution);
        return execution.getId();
    }
}
