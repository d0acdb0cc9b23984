package dev.runplane.server.cli.client;

import com.google.protobuf.Timestamp;
import dev.runplane.v1.ExecutionStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the tables look: colour only on a terminal without NO_COLOR, aligned columns, relative times. */
class OutputFormsTest {

    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    private static Timestamp at(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    @Test
    void colourOnlyOnATerminalAndNeverWithNoColor() {
        assertTrue(Style.decide(true, Map.of("TERM", "xterm")).colour());
        assertFalse(Style.decide(false, Map.of("TERM", "xterm")).colour(), "a pipe or a file: plain text");
        assertFalse(Style.decide(true, Map.of("NO_COLOR", "1")).colour());
        assertTrue(Style.decide(true, Map.of("NO_COLOR", "")).colour(), "no-color.org: set and not empty");
        assertFalse(Style.decide(true, Map.of("TERM", "dumb")).colour());
        Style colour = Style.decide(true, Map.of());
        assertEquals("\u001b[31mFAILED\u001b[0m", colour.status(ExecutionStatus.EXECUTION_STATUS_FAILED));
        assertEquals("\u001b[32mSUCCEEDED\u001b[0m", colour.status("SUCCEEDED"));
        assertEquals("QUEUED", colour.status(ExecutionStatus.EXECUTION_STATUS_QUEUED));
        assertEquals("FAILED", Style.decide(false, Map.of()).status(ExecutionStatus.EXECUTION_STATUS_FAILED));
    }

    @Test
    void columnsAlignAndColourTakesNoColumns() {
        for (Style style : new Style[] {new Style(false, false), new Style(true, true)}) {
            StringWriter out = new StringWriter();
            new Table("ID", "STATUS", "MESSAGE").style(1, style::status)
                    .row("a", "SUCCEEDED", "fine").row("bbbb", "FAILED", "disk full").print(new PrintWriter(out), style);
            String plain = out.toString().replaceAll("\u001b\\[[0-9;]*m", "");
            assertEquals("ID    STATUS     MESSAGE\na     SUCCEEDED  fine\nbbbb  FAILED     disk full\n", plain,
                    "colour " + style.colour());
        }
    }

    @Test
    void timesAreRelativeAndDurationsShort() {
        assertEquals("now", Human.ago(at(NOW.minusMillis(300)), NOW));
        assertEquals("12s ago", Human.ago(at(NOW.minusSeconds(12)), NOW));
        assertEquals("5m ago", Human.ago(at(NOW.minusSeconds(5 * 60 + 59)), NOW));
        assertEquals("3h ago", Human.ago(at(NOW.minus(Duration.ofHours(3))), NOW));
        assertEquals("2d ago", Human.ago(at(NOW.minus(Duration.ofDays(2))), NOW));
        assertEquals("in 2h", Human.ago(at(NOW.plus(Duration.ofHours(2))), NOW));
        assertEquals("2026-09-01", Human.ago(at(Instant.parse("2026-09-01T08:00:00Z")), NOW), "older than 30 days: its date");
        assertEquals("-", Human.ago(Timestamp.getDefaultInstance(), NOW));
        assertEquals("350ms", Human.duration(Duration.ofMillis(350)));
        assertEquals("4.2s", Human.duration(Duration.ofMillis(4200)));
        assertEquals("3m12s", Human.duration(Duration.ofSeconds(192)));
        assertEquals("2h05m", Human.duration(Duration.ofMinutes(125)));
        assertEquals("3d04h", Human.duration(Duration.ofHours(76)));
        assertEquals("-", Human.duration(com.google.protobuf.Duration.getDefaultInstance()));
        assertEquals("a b...", Human.clip("a\nbcdefgh", 6));
    }
}
