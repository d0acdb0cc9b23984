package dev.runplane.server.security;

import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With no key, a non-loopback bind needs --insecure: the launcher says so and exits non-zero. */
class StartupRefusalTest {

    @Test
    void nonLoopbackBindWithoutKeysOrInsecureExitsNonZeroSayingWhatToDo() {
        String url = TestPostgres.url(TestPostgres.newDatabase());
        KeysCommandTest.Result result = KeysCommandTest.launch("--bind", "0.0.0.0", "--port", "0",
                "--database-url", url);
        assertEquals(2, result.code());
        assertTrue(result.err().contains("no API key exists"), result.err());
        assertTrue(result.err().contains("--insecure") && result.err().contains("keys create"), result.err());
    }

    @Test
    void insecureOnPurposeStarts() {
        DatabaseAddress database = TestPostgres.newDatabase();
        ServerConfig config = new ServerConfig("0.0.0.0", 0, null, TestPostgres.url(database), 4, false,
                java.time.Duration.ofSeconds(1), ServerConfig.defaults().limits());
        try (Application app = Application.start(config, OperationsConfig.defaults().withInsecure(true))) {
            assertTrue(app.port() > 0);
        }
    }
}
