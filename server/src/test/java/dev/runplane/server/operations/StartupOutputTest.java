package dev.runplane.server.operations;

import dev.runplane.server.testing.ServerProcess;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a person sees on the console when the launcher starts (issue 17, item 19): a few lines that
 * say the version, where the data lives, the schema version and the address; initdb's, PostgreSQL's
 * and Flyway's chatter go to the data directory's log. Errors still reach the console.
 */
class StartupOutputTest {

    /** The version, the data directory, the schema, the address; and room for one more. */
    private static final int MAX_LINES = 6;

    @TempDir
    Path dir;

    @Test
    void aFirstStartPrintsAFewLinesThatSayWhatMatters() throws Exception {
        Path dataDir = dir.resolve("data");
        ServerProcess server = ServerProcess.start(dir.resolve("first.log"), "--port", "0",
                "--data-dir", dataDir.toString());
        try {
            int port = server.awaitPort();
            assertEquals(ServingStatus.SERVING, health(port), "the server answers");
            List<String> lines = server.log().lines().toList();
            assertTrue(lines.size() <= MAX_LINES, "at most " + MAX_LINES + " lines, printed " + lines.size()
                    + ":\n" + server.log());
            String text = server.log();
            assertTrue(text.contains("Runplane 0.1.0"), "the version:\n" + text);
            assertTrue(text.contains(dataDir.toAbsolutePath().toString()), "the data directory:\n" + text);
            assertTrue(text.matches("(?s).*schema at version [0-9]+ .*"), "the schema version:\n" + text);
            assertTrue(text.contains("listening on 127.0.0.1:" + port), "the address:\n" + text);
            assertTrue(text.matches("(?s).*Dashboard and HTTP API \\(Connect, SSE, webhooks\\) on http://127\\.0\\.0\\.1:"
                    + "[0-9]+/.*"), "the dashboard's URL:\n" + text);
            Path postgresLog = dataDir.resolve("postgres.log");
            assertTrue(Files.exists(postgresLog), "initdb and PostgreSQL write to the data directory's log");
            String postgresText = Files.readString(postgresLog);
            assertTrue(postgresText.contains("The files belonging to this database system"), "initdb's: " + postgresText);
            assertTrue(postgresText.contains("ready to accept connections"), "PostgreSQL's: " + postgresText);

            // A second server on the same data directory is refused, on the console, in a few lines.
            ServerProcess second = ServerProcess.start(dir.resolve("second.log"), "--port", "0",
                    "--data-dir", dataDir.toString());
            assertTrue(second.process().waitFor(60, TimeUnit.SECONDS), "the second server exits");
            assertNotEquals(0, second.process().exitValue());
            String refused = second.log();
            assertTrue(refused.contains("Another Runplane server is using the data directory "
                    + dataDir.toAbsolutePath()), refused);
            assertTrue(refused.lines().count() <= MAX_LINES, "a short refusal, not a stack trace:\n" + refused);
        } finally {
            server.process().destroy();
            server.process().waitFor(30, TimeUnit.SECONDS);
        }
        // A start on an existing data directory is as short.
        ServerProcess again = ServerProcess.start(dir.resolve("again.log"), "--port", "0",
                "--data-dir", dataDir.toString());
        try {
            int port = again.awaitPort();
            assertEquals(ServingStatus.SERVING, health(port));
            assertTrue(again.log().lines().count() <= MAX_LINES, again.log());
            assertTrue(again.log().matches("(?s).*schema at version [0-9]+ .*"), again.log());
        } finally {
            again.process().destroy();
            again.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static ServingStatus health(int port) throws InterruptedException {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
