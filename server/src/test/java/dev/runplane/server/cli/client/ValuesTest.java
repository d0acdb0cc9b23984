package dev.runplane.server.cli.client;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Timestamps;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What -i, -l, --inputs-file and the time flags mean (README, "The CLI"). */
class ValuesTest {

    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    private static Value.KindCase kind(String text) {
        return Values.value("k", text).getKindCase();
    }

    @Test
    void aValueIsANumberABooleanJsonOrElseTheTextAsTyped() {
        assertEquals(3.0, Values.value("n", "3").getNumberValue());
        assertEquals(-0.5, Values.value("n", "-0.5").getNumberValue());
        assertEquals(1e3, Values.value("n", "1e3").getNumberValue());
        assertEquals(Value.KindCase.BOOL_VALUE, kind("true"));
        assertEquals(Value.KindCase.STRUCT_VALUE, kind("{\"a\": [1, {\"b\": null}]}"));
        assertEquals(Value.KindCase.LIST_VALUE, kind("[]"));
        for (String text : List.of("2026-11-22", "007", "null", "\"quoted\"", "True", "1,2", "", " ", "3 apples", "0x10")) {
            Value value = Values.value("k", text);
            assertEquals(Value.KindCase.STRING_VALUE, value.getKindCase(), text);
            assertEquals(text, value.getStringValue(), "the text as typed: " + text);
        }
    }

    @Test
    void somethingThatLooksLikeJsonButIsNotIsRefused() {
        for (String text : List.of("{a:1}", "[1,", "{\"a\":1}}", "[1] [2]")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Values.value("cfg", text));
            assertTrue(e.getMessage().startsWith("-i cfg: not valid JSON ("), e.getMessage());
        }
    }

    @Test
    void pairsOverTheFileAndTheLastOfAKeyWins() {
        Struct inputs = Values.inputs(List.of("a=1", "b=x=y", "a=2"), "-",
                new ByteArrayInputStream("{\"a\": 0, \"c\": true}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(2.0, inputs.getFieldsOrThrow("a").getNumberValue());
        assertEquals("x=y", inputs.getFieldsOrThrow("b").getStringValue(), "only the first = splits");
        assertTrue(inputs.getFieldsOrThrow("c").getBoolValue());
        assertThrows(IllegalArgumentException.class, () -> Values.inputs(List.of("=1"), null, null));
        IllegalArgumentException notAnObject = assertThrows(IllegalArgumentException.class, () -> Values.inputs(List.of(),
                "-", new ByteArrayInputStream("[1]".getBytes(StandardCharsets.UTF_8))));
        assertTrue(notAnObject.getMessage().startsWith("--inputs-file -: not a JSON object"), notAnObject.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Values.inputs(List.of(), "/nonexistent/inputs.json", null));
        assertTrue(missing.getMessage().startsWith("--inputs-file /nonexistent/inputs.json: cannot read it"));
        assertEquals(Map.of("team", "red", "k", "a=b"), Values.pairs(List.of("team=red", "k=a=b"), "-l"));
    }

    @Test
    void timesAreRfc3339ADateOrADurationFromNow() {
        assertEquals("2026-11-22T06:00:00Z", Timestamps.toString(Values.time("2026-11-22T06:00:00Z", "--at", true, NOW)));
        assertEquals("2026-11-22T05:00:00Z", Timestamps.toString(Values.time("2026-11-22T06:00:00+01:00", "--at", true, NOW)));
        assertEquals("2026-11-23T00:00:00Z", Timestamps.toString(Values.time("2026-11-23", "--at", true, NOW)));
        assertEquals("2026-11-22T14:00:00Z", Timestamps.toString(Values.time("2h", "--at", true, NOW)), "--at: forward");
        assertEquals("2026-11-15T12:00:00Z", Timestamps.toString(Values.time("7d", "--since", false, NOW)), "--since: back");
        assertEquals("2026-11-22T11:30:00Z", Timestamps.toString(Values.time("PT30M", "--until", false, NOW)));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Values.time("yesterday", "--since", false, NOW));
        assertTrue(bad.getMessage().startsWith("--since: 'yesterday' is neither an RFC 3339 time"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Values.time("2026-11-22T25:00:00Z", "--at", true, NOW));
    }
}
