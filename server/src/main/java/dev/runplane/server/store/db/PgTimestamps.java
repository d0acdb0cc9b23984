package dev.runplane.server.store.db;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * A fast reader of PostgreSQL's text timestamps with time zone. The driver parses each one through
 * a {@code DateTimeFormatter}: async-profiler put that at 16% of the database threads' CPU in
 * WorkerBenchmark, an execution row carrying six timestamps. Reads the output format (ISO DateStyle:
 * {@code 2026-11-23 16:42:00.123456+00}, offsets like {@code +05:30} or {@code +00:09:21}) and
 * {@code to_jsonb}'s ({@code 2026-11-23T16:42:00.123456+00:00}); answers null for anything else
 * (infinity, BC dates, years past 9999), which the caller then hands to the general parser.
 */
public final class PgTimestamps {

    private PgTimestamps() {
    }

    /** The instant, or null when the text is not in one of the two forms above. */
    public static Instant parse(String s) {
        int n = s.length();
        if (n < 22 || s.charAt(4) != '-' || s.charAt(7) != '-' || (s.charAt(10) != ' ' && s.charAt(10) != 'T')
                || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59) {
            return null;
        }
        int i = 19;
        int nanos = 0;
        if (s.charAt(i) == '.') {
            int start = ++i;
            while (i < n && i - start < 9 && isDigit(s.charAt(i))) {
                nanos = nanos * 10 + (s.charAt(i++) - '0');
            }
            if (i == start) {
                return null;
            }
            for (int k = i - start; k < 9; k++) {
                nanos *= 10;
            }
        }
        int offset = offsetSeconds(s, i);
        if (offset == Integer.MIN_VALUE) {
            return null;
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException invalidDate) {
            return null;
        }
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600L + minute * 60L + second - offset, nanos);
    }

    /** {@code Z} or {@code ±HH[:MM[:SS]]} from {@code i} to the end, in seconds; MIN_VALUE when malformed. */
    private static int offsetSeconds(String s, int i) {
        int n = s.length();
        if (i == n - 1 && s.charAt(i) == 'Z') {
            return 0;
        }
        if (i >= n || (s.charAt(i) != '+' && s.charAt(i) != '-')) {
            return Integer.MIN_VALUE;
        }
        int sign = s.charAt(i) == '-' ? -1 : 1;
        int seconds = 0;
        int unit = 3_600;
        for (int p = i + 1; unit >= 1; unit /= 60) {
            int value = p + 2 <= n ? digits(s, p, 2) : -1;
            if (value < 0 || value > (unit == 3_600 ? 15 : 59)) {
                return Integer.MIN_VALUE;
            }
            seconds += value * unit;
            p += 2;
            if (p == n) {
                return sign * seconds;
            }
            if (s.charAt(p) != ':' || unit == 1) {
                return Integer.MIN_VALUE;
            }
            p++;
        }
        return Integer.MIN_VALUE;
    }

    /** The decimal number of {@code length} digits at {@code from}, or -1 if one is not a digit. */
    private static int digits(String s, int from, int length) {
        int value = 0;
        for (int i = from; i < from + length; i++) {
            char c = s.charAt(i);
            if (!isDigit(c)) {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
