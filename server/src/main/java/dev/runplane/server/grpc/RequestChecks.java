package dev.runplane.server.grpc;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.runplane.client.StructJson;
import dev.runplane.server.core.Limits;
import dev.runplane.server.core.error.FieldViolation;
import dev.runplane.server.core.error.InvalidArgumentException;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Collects the field violations of one request, so that a client learns every bad field at once.
 * Each check returns the parsed value (or null) and records what is wrong with the field's name.
 */
public final class RequestChecks {

    static final Pattern PIPELINE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,127}");
    static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-/]{0,62}");

    private final List<FieldViolation> violations = new ArrayList<>();

    void fail(String field, String description) {
        violations.add(new FieldViolation(field, description));
    }

    /** Throws {@link InvalidArgumentException} if any check failed. */
    void throwIfInvalid() {
        if (!violations.isEmpty()) {
            throw new InvalidArgumentException(violations);
        }
    }

    /** A batch's items: 1 to {@code max} (each item is then checked as a call of its own). */
    void batch(String field, int count, int max) {
        if (count == 0) {
            fail(field, "is required: 1 to " + max + " " + field);
        } else if (count > max) {
            fail(field, "at most " + max + " " + field);
        }
    }

    /** A required id. */
    UUID id(String field, String text) {
        if (text.isEmpty()) {
            fail(field, "is required");
            return null;
        }
        return optionalId(field, text);
    }

    /** An optional id: empty means none. */
    public UUID optionalId(String field, String text) {
        if (text.isEmpty()) {
            return null;
        }
        try {
            if (text.length() == 36) {
                return UUID.fromString(text);
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        fail(field, "must be an execution id (a UUID such as 0190c3e4-5b6f-7a00-8b1c-2d3e4f5a6b7c)");
        return null;
    }

    String pipeline(String field, String name) {
        if (name.isEmpty()) {
            fail(field, "is required");
        } else if (!PIPELINE.matcher(name).matches()) {
            fail(field, "must match [a-z0-9][a-z0-9_.-]{0,127}");
        }
        return name;
    }

    /** Label keys and values within the limits (a Run's labels, and Search's and WatchExecutions' filters). */
    void labels(String field, Map<String, String> labels, Limits limits) {
        if (labels.size() > limits.maxLabels()) {
            fail(field, "must have at most " + limits.maxLabels() + " entries");
            return;
        }
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (!LABEL_KEY.matcher(label.getKey()).matches()) {
                fail(field, "key '" + abbreviate(label.getKey()) + "' must match [A-Za-z0-9][A-Za-z0-9_.-/]{0,62}");
            } else if (label.getValue().length() > limits.maxLabelValueLength()) {
                fail(field, "value of '" + label.getKey() + "' must be at most "
                        + limits.maxLabelValueLength() + " characters");
            } else if (label.getValue().indexOf('\0') >= 0) {
                fail(field, "value of '" + label.getKey() + "' must not contain NUL characters");
            }
        }
    }

    /** Optional free text with a length limit; empty becomes null. */
    String text(String field, String text, int maxLength) {
        if (text.length() > maxLength) {
            fail(field, "must be at most " + maxLength + " characters");
        } else if (text.indexOf('\0') >= 0) {
            fail(field, "must not contain NUL characters");
        }
        return text.isEmpty() ? null : text;
    }

    /**
     * A Struct as the JSON that is stored, within the size limit; an absent Struct becomes
     * {@code absent}. Every stored Struct passes here, so all get the same numbers and refusals
     * ({@link StructJson}: NaN, Infinity and NUL characters have no stored form).
     */
    String json(String field, boolean present, Struct struct, int maxBytes, String absent) {
        if (!present) {
            return absent;
        }
        if (!StructDepth.withinLimit(struct)) {
            fail(field, "must nest at most " + StructDepth.MAX + " levels of objects and lists");
            return absent;
        }
        String json;
        try {
            json = StructJson.write(struct);
        } catch (StructJson.NotJson e) {
            fail(field, e.getMessage() + ", at " + e.path());
            return absent;
        }
        if (json.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            fail(field, "must be at most " + maxBytes + " bytes as JSON");
        }
        return json;
    }

    /**
     * A time to store: 0001-01-01 to 9999-12-31 (protobuf's range), truncated to the microsecond,
     * PostgreSQL's precision. Truncated, not rounded (as PostgreSQL would): rounding would carry
     * 9999-12-31T23:59:59.9999995 out of the range, and a time read back is never later than the one sent.
     */
    java.time.Instant time(String field, boolean present, Timestamp timestamp) {
        java.time.Instant time = validTime(field, present, timestamp);
        return time == null ? null : time.truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * A bound of a half-open range {@code [start, end)} over stored times, rounded UP to the
     * microsecond: over values stored in whole microseconds that selects exactly what the exact bound
     * selects ({@code v >= t} and {@code v < t} both hold iff they hold for t's ceiling).
     */
    java.time.Instant rangeBound(String field, boolean present, Timestamp timestamp) {
        java.time.Instant time = validTime(field, present, timestamp);
        if (time == null) {
            return null;
        }
        java.time.Instant floor = time.truncatedTo(ChronoUnit.MICROS);
        return floor.equals(time) ? time : floor.plus(1, ChronoUnit.MICROS);
    }

    private java.time.Instant validTime(String field, boolean present, Timestamp timestamp) {
        if (!present) {
            return null;
        }
        if (!Timestamps.isValid(timestamp)) {
            fail(field, "must be a valid timestamp from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z");
            return null;
        }
        return ProtoMapper.instant(timestamp);
    }

    /** An optional positive duration no longer than {@code max}. */
    java.time.Duration positiveDuration(String field, boolean present, Duration duration, java.time.Duration max) {
        if (!present) {
            return null;
        }
        if (!Durations.isValid(duration) || !Durations.isPositive(duration)) {
            fail(field, "must be a positive duration");
            return null;
        }
        java.time.Duration value = ProtoMapper.duration(duration);
        if (value.compareTo(max) > 0) {
            fail(field, "must be at most " + max.toSeconds() + "s");
        }
        return value;
    }

    /**
     * An optional wait: unset or 0 means {@code fallback}; negative, invalid or longer than {@code max}
     * is refused (never silently lowered).
     */
    java.time.Duration waitOrDefault(String field, boolean present, Duration duration, java.time.Duration fallback,
                                     java.time.Duration max) {
        if (!present || (duration.getSeconds() == 0 && duration.getNanos() == 0)) {
            return fallback;
        }
        if (!Durations.isValid(duration) || Durations.isNegative(duration)) {
            fail(field, "must be a duration from 0 to " + max.toSeconds() + "s (0: the default, "
                    + fallback.toSeconds() + "s)");
            return null;
        }
        java.time.Duration value = ProtoMapper.duration(duration);
        if (value.compareTo(max) > 0) {
            fail(field, "must be at most " + max.toSeconds() + "s");
        }
        return value;
    }

    int range(String field, int value, int min, int max) {
        if (value < min || value > max) {
            fail(field, "must be from " + min + " to " + max);
        }
        return value;
    }

    private static String abbreviate(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "...";
    }
}
