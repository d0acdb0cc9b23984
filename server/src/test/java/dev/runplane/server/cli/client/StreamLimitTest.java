package dev.runplane.server.cli.client;

import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.cli.Main;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A limit is not a break: a watch that the server refuses for the key's open streams
 * (RESOURCE_EXHAUSTED, TOO_MANY_STREAMS) ends at once with the error line, instead of trying again
 * as it does for a stream that broke; and the CLI's calls carry the key (--api-key).
 */
class StreamLimitTest {

    private static Application app;
    private static String server;

    @BeforeAll
    static void start() {
        app = Application.start(ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0), OperationsConfig.defaults().withMaxStreamsPerKey(1));
        server = "127.0.0.1:" + app.port();
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void aSecondStreamOfTheKeyIsRefusedAndNotRetried() throws Exception {
        Cli.Result created = Cli.run("keys", "create", "--server", server, "--scopes", "read,run");
        assertEquals(0, created.code(), created.toString());
        String key = created.out().strip();
        assertEquals(ExitCodes.ERROR, Cli.run("search", "--server", server).code(), "keys exist: a key is needed");
        assertEquals(ExitCodes.OK, Cli.run("search", "--server", server, "--api-key", key).code());
        StringWriter out = new StringWriter();
        Thread first = new Thread(() -> new CommandLine(new Main()).setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(new StringWriter(), true))
                .execute("watch", "--pipeline", "limited", "--server", server, "--api-key", key));
        first.start();
        try {
            Eventually.await(Duration.ofSeconds(30), "the first watch is open", () -> app.eventHub().watchers() == 1);
            Cli.Result second = Cli.run("watch", "--pipeline", "limited", "--server", server, "--api-key", key);
            assertEquals(ExitCodes.ERROR, second.code(), second.toString());
            assertTrue(second.err().startsWith("error: RESOURCE_EXHAUSTED: "), second.err());
            // The same for one execution's watch, which resumes a stream that breaks.
            Cli.Result run = Cli.run("run", "limited", "--server", server, "--api-key", key);
            assertEquals(0, run.code(), run.toString());
            Cli.Result one = Cli.run("watch", Cli.fields(run.out()).get("id"), "--server", server, "--api-key", key);
            assertEquals(ExitCodes.ERROR, one.code(), one.toString());
            assertTrue(one.err().startsWith("error: RESOURCE_EXHAUSTED: "), one.err());
        } finally {
            first.interrupt();
            first.join(TimeUnit.SECONDS.toMillis(30));
        }
    }
}
