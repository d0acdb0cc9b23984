package dev.runplane.server.cli.client;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import com.google.protobuf.util.Timestamps;
import dev.runplane.client.StructJson;
import dev.runplane.server.cli.Durations;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the client commands' flags mean: {@code -i key=value} (a number, a boolean, a JSON object or
 * list, else a string), {@code -l key=value}, an inputs file, and times given as RFC 3339 or relative
 * to now. Each throws IllegalArgumentException naming the flag; the commands turn it into a usage error.
 */
final class Values {

    private Values() {
    }

    /**
     * The inputs: the JSON object of {@code file} ({@code -} is stdin; null for none), then each
     * {@code key=value} over it. A value is read with the server's JSON codec ({@link StructJson}):
     * {@code n=3} is the number 3 (written back as the integer 3), {@code ok=true} a boolean,
     * {@code cfg={"a":1}} an object, {@code xs=[1,2]} a list; anything else ({@code day=2026-11-22},
     * {@code name=null}, {@code id=007}) is the string as typed. A value that starts like an object or
     * a list but is not valid JSON is refused: a typo should not silently become a string.
     */
    static Struct inputs(List<String> pairs, String file, InputStream stdin) {
        Struct.Builder inputs = Struct.newBuilder();
        if (file != null) {
            inputs.mergeFrom(readObject(file, stdin));
        }
        for (Map.Entry<String, String> pair : pairs(pairs, "-i").entrySet()) {
            inputs.putFields(pair.getKey(), value(pair.getKey(), pair.getValue()));
        }
        return inputs.build();
    }

    static Value value(String key, String text) {
        String trimmed = text.strip();
        boolean structured = trimmed.startsWith("{") || trimmed.startsWith("[");
        try {
            Value value = StructJson.readValue(trimmed);
            switch (value.getKindCase()) {
                case NUMBER_VALUE, BOOL_VALUE, STRUCT_VALUE, LIST_VALUE:
                    return value;
                default:
                    break; // a JSON string or null: the text as typed
            }
        } catch (IllegalArgumentException e) {
            if (structured) {
                throw new IllegalArgumentException("-i " + key + ": not valid JSON (" + e.getMessage() + ")");
            }
        }
        return Value.newBuilder().setStringValue(text).build();
    }

    private static Struct readObject(String file, InputStream stdin) {
        String json;
        try {
            json = file.equals("-") ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("--inputs-file " + file + ": cannot read it (" + e.getMessage() + ")");
        }
        try {
            return StructJson.read(json.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--inputs-file " + file + ": not a JSON object (" + e.getMessage() + ")");
        }
    }

    /** {@code key=value} pairs in order (a key given twice keeps its last value). */
    static Map<String, String> pairs(List<String> pairs, String flag) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(flag + " expects key=value, not '" + pair + "'");
            }
            map.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return map;
    }

    /**
     * A time: RFC 3339 ({@code 2026-11-22T06:00:00Z}), a date ({@code 2026-11-22}, midnight UTC) or a
     * duration from now ({@code 7d}, {@code 2h}, {@code 30m}: the cli's duration form), which counts
     * forward for {@code --at} and back for {@code --since} and {@code --until}.
     */
    static Timestamp time(String text, String flag, boolean forward, Instant now) {
        String t = text.strip();
        if (t.matches("\\d{4}-\\d{2}-\\d{2}")) {
            Instant day = LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
            return Timestamps.fromMillis(day.toEpochMilli());
        }
        if (t.matches("\\d{4}-\\d{2}-\\d{2}[Tt].*")) {
            try {
                Instant at = OffsetDateTime.parse(t.toUpperCase(Locale.ROOT), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                        .toInstant();
                return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(flag + ": '" + text + "' is not an RFC 3339 time (2026-11-22T06:00:00Z)");
            }
        }
        Duration offset;
        try {
            offset = Durations.parse(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": '" + text
                    + "' is neither an RFC 3339 time (2026-11-22T06:00:00Z) nor a duration from now (7d, 2h, 30m)");
        }
        Instant at = forward ? now.plus(offset) : now.minus(offset);
        return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
    }
}
