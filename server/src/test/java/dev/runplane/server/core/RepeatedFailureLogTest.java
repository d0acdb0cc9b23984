package dev.runplane.server.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A task that fails at every try while its database is down logs a few lines, not one per try. */
class RepeatedFailureLogTest {

    @Test
    void anOutageOfTwoMinutesAtATryPerSecondLogsFourLines() {
        AtomicLong now = new AtomicLong();
        List<String> lines = capture(() -> {
            RepeatedFailureLog failures = new RepeatedFailureLog(LoggerFactory.getLogger(RepeatedFailureLogTest.class),
                    "Test pass", now::get);
            for (int second = 0; second < 125; second++) {
                now.set(second * 1_000_000_000L);
                failures.failed(new IllegalStateException("database down"), "retrying every 1000 ms");
            }
            failures.succeeded();
            failures.succeeded(); // a success after a success says nothing
        });
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).contains("Test pass failed; retrying every 1000 ms: java.lang.IllegalStateException: database down"),
                lines.get(0));
        assertTrue(lines.get(1).contains("Test pass still failing (59 more failures in the last 60 s)"), lines.get(1));
        assertTrue(lines.get(2).contains("Test pass still failing (59 more failures in the last 60 s)"), lines.get(2));
        assertTrue(lines.get(3).contains("Test pass works again"), lines.get(3));
    }

    @Test
    void aNewOutageIsLoggedAtOnce() {
        AtomicLong now = new AtomicLong();
        List<String> lines = capture(() -> {
            RepeatedFailureLog failures = new RepeatedFailureLog(LoggerFactory.getLogger(RepeatedFailureLogTest.class),
                    "Test pass", now::get);
            failures.failed(new IllegalStateException("first"), "retrying");
            failures.succeeded();
            now.set(1_000_000L); // a millisecond later: a new outage is news, whatever the last line's age
            failures.failed(new IllegalStateException("second"), "retrying");
        });
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(2).contains("Test pass failed; retrying: java.lang.IllegalStateException: second"));
    }

    /** slf4j-simple writes to System.err, looked up at each line (the tests' logging configuration). */
    private static List<String> capture(Runnable body) {
        PrintStream original = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("RepeatedFailureLogTest")).toList();
    }
}
