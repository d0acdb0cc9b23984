package dev.runplane.server.security;

import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.cli.Main;
import dev.runplane.server.testing.TestPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code keys} command of the launcher against a real server on a loopback Netty port. */
class KeysCommandTest {

    private static final Pattern TOKEN = Pattern.compile("rpk_([A-Za-z0-9]+)_([A-Za-z0-9]{43})");

    private static Application app;
    private static String server;

    @BeforeAll
    static void start() {
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0);
        app = Application.start(config, OperationsConfig.defaults());
        server = "127.0.0.1:" + app.port();
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    /** Runs the launcher in this JVM, as {@code java -jar runplane.jar ARGS} would. */
    static Result launch(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    record Result(int code, String out, String err) {
    }

    @Test
    void createListRevokeThroughTheCommand() {
        // Bootstrap: no key exists yet, and this call comes from loopback.
        Result first = launch("keys", "create", "--server", server, "--scopes", "admin", "--description", "ops");
        assertEquals(0, first.code(), first.err());
        String admin = first.out().strip();
        assertTrue(TOKEN.matcher(admin).matches(), "one line with the key: " + first.out());
        assertTrue(first.err().contains("This is the first key") && first.err().contains("RUNPLANE_API_KEY")
                && first.err().contains("work scope"), "the first key says what it changes for workers: " + first.err());

        Result second = launch("keys", "create", "--server", server, "--api-key", admin, "--scopes", "run,read",
                "--pipeline", "nightly", "--pipeline", "weekly", "--expires-in", "30d", "--description", "trigger");
        assertEquals(0, second.code(), second.err());
        assertFalse(second.err().contains("first key"), "only the first key says so: " + second.err());
        String trigger = second.out().strip();
        var parts = TOKEN.matcher(trigger);
        assertTrue(parts.matches());
        String triggerId = parts.group(1);
        String triggerSecret = parts.group(2);

        Result list = launch("keys", "list", "--server", server, "--api-key", admin);
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains(triggerId) && list.out().contains("nightly,weekly")
                && list.out().contains("read,run"), list.out());
        assertFalse(list.out().contains(triggerSecret), "a listing never shows a secret");
        assertFalse(list.out().contains(admin.substring(admin.lastIndexOf('_') + 1)));

        Result revoke = launch("keys", "revoke", "--server", server, "--api-key", admin, triggerId);
        assertEquals(0, revoke.code(), revoke.err());
        assertFalse(launch("keys", "list", "--server", server, "--api-key", admin).out().contains(triggerId));
        assertTrue(launch("keys", "list", "--server", server, "--api-key", admin, "--all").out().contains(triggerId));

        // Now that keys exist, the command without one is refused, with a readable error.
        Result refused = launch("keys", "list", "--server", server);
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("UNAUTHENTICATED"), refused.err());
        // A key without the admin scope is refused too, naming the scope.
        Result reader = launch("keys", "create", "--server", server, "--api-key", admin, "--scopes", "read");
        Result denied = launch("keys", "list", "--server", server, "--api-key", reader.out().strip());
        assertEquals(1, denied.code());
        assertTrue(denied.err().contains("PERMISSION_DENIED") && denied.err().contains("admin"), denied.err());
    }

    @Test
    void plaintextToARemoteServerIsRefusedByTheClient() {
        Result result = launch("keys", "list", "--server", "192.0.2.1:50051", "--api-key", "rpk_a_b");
        assertEquals(2, result.code());
        assertTrue(result.err().contains("--tls-ca"), result.err());
    }
}
