package dev.runplane.server.cli.client;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;
import dev.runplane.v1.ExecutionMode;
import dev.runplane.v1.ExecutionStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/** How tables show statuses, times and durations to a person: short names, "3m ago", "1m12s". */
final class Human {

    private Human() {
    }

    /** {@code SUCCEEDED} for EXECUTION_STATUS_SUCCEEDED. */
    static String status(ExecutionStatus status) {
        return status.name().substring("EXECUTION_STATUS_".length());
    }

    static String mode(ExecutionMode mode) {
        return mode == ExecutionMode.EXECUTION_MODE_UNSPECIFIED ? "PRODUCTION"
                : mode.name().substring("EXECUTION_MODE_".length());
    }

    /** A time relative to now ("12s ago", "in 5m"); "-" when unset. Older than 30 days: its date. */
    static String ago(Timestamp time, Instant now) {
        if (time.getSeconds() == 0 && time.getNanos() == 0) {
            return "-";
        }
        Instant at = Instant.ofEpochSecond(time.getSeconds(), time.getNanos());
        Duration delta = Duration.between(at, now);
        boolean future = delta.isNegative();
        Duration size = delta.abs();
        if (size.toDays() > 30) {
            return Timestamps.toString(time).substring(0, 10);
        }
        if (size.getSeconds() < 1) {
            return "now";
        }
        String amount = coarse(size);
        return future ? "in " + amount : amount + " ago";
    }

    /** One unit, rounded down: 12s, 5m, 3h, 2d. */
    private static String coarse(Duration size) {
        long s = size.getSeconds();
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m";
        }
        if (s < 86_400) {
            return s / 3600 + "h";
        }
        return s / 86_400 + "d";
    }

    /** A running time: 350ms, 4.2s, 3m12s, 2h05m, 3d04h; "-" when unset or zero. */
    static String duration(com.google.protobuf.Duration proto) {
        if (proto.getSeconds() == 0 && proto.getNanos() == 0) {
            return "-";
        }
        return duration(Duration.ofSeconds(proto.getSeconds(), proto.getNanos()));
    }

    static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
        }
        long s = d.getSeconds();
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", s / 86_400, s % 86_400 / 3600);
    }

    /** An RFC 3339 time, or "-" when unset. */
    static String time(Timestamp time) {
        return time.getSeconds() == 0 && time.getNanos() == 0 ? "-" : Timestamps.toString(time);
    }

    /** At most {@code max} characters on one line: newlines become spaces, the rest becomes "...". */
    static String clip(String text, int max) {
        String line = text.replace('\n', ' ').replace('\r', ' ');
        return line.length() <= max ? line : line.substring(0, max - 3) + "...";
    }
}
