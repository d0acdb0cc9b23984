package dev.runplane.server.http;

import com.google.gson.JsonParser;
import dev.runplane.server.testing.Curl;
import dev.runplane.server.testing.ServerProcess;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No key reaches a log line: the launcher runs at DEBUG (every library's too), keys go over HTTP in
 * headers, in URLs (refused), wrong, revoked and right, and the whole log is searched for them.
 */
class NoKeyInLogsTest {

    @TempDir
    Path dir;

    @Test
    void keysSentEveryWayAppearInNoLogLine() throws Exception {
        ServerProcess server = ServerProcess.start(dir.resolve("server.log"),
                List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=debug"),
                "--port", "0", "--http-port", "0", "--data-dir", dir.resolve("data").toString());
        List<String> secrets = new ArrayList<>();
        try {
            URI http = server.awaitHttp();
            String admin = JsonParser.parseString(Curl.postJson(http.resolve("/runplane.v1.KeyService/CreateKey"),
                    "{\"scopes\":[\"KEY_SCOPE_ADMIN\",\"KEY_SCOPE_RUN\",\"KEY_SCOPE_READ\"]}").body())
                    .getAsJsonObject().get("token").getAsString();
            secrets.add(admin);
            String wrong = admin.substring(0, admin.lastIndexOf('_') + 1) + "wrongsecretwrongsecretwrongsecretwrongsec00";
            secrets.add(wrong.substring(wrong.lastIndexOf('_') + 1));
            assertEquals(200, Curl.postJson(http.resolve("/runplane.v1.ExecutionService/Search"), "{}",
                    "Authorization", "Bearer " + admin).statusCode());
            assertEquals(202, Curl.postJson(http.resolve("/v1/pipelines/logged/runs"), "{}",
                    "Authorization", "Bearer " + admin).statusCode());
            assertEquals(401, Curl.postJson(http.resolve("/runplane.v1.ExecutionService/Search"), "{}",
                    "Authorization", "Bearer " + wrong).statusCode());
            assertEquals(401, Curl.postJson(http.resolve("/runplane.v1.ExecutionService/Search?api_key=" + admin), "{}")
                    .statusCode());
            assertEquals(401, Curl.get(http.resolve("/?token=" + admin)).statusCode());
            assertEquals(401, Curl.postJson(http.resolve("/v1/pipelines/logged/runs?key=" + admin), "{}").statusCode());
            assertEquals(401, Curl.postJson(http.resolve("/runplane.v1.ExecutionService/Search"), "{}",
                    "Authorization", admin).statusCode(), "a token without its scheme");
            try (SseClient sse = SseClient.open(http, "runplane.v1.ExecutionService/WatchExecution",
                    "{\"id\":\"00000000-0000-0000-0000-000000000000\"}", "Authorization", "Bearer " + admin)) {
                assertEquals("error", sse.next().name());
            }
        } finally {
            server.process().destroy();
            assertTrue(server.process().waitFor(60, TimeUnit.SECONDS));
        }
        String log = server.log();
        assertTrue(log.contains("DEBUG"), "the server logged at DEBUG:\n" + log);
        for (String secret : secrets) {
            String part = secret.substring(secret.lastIndexOf('_') + 1);
            assertFalse(log.contains(part), "a key's secret is in the log:\n" + log);
        }
    }
}
