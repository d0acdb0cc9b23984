package dev.runplane.server.store.db;

import java.time.Instant;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The fast timestamp reader against java.time's own parser, on both forms PostgreSQL writes. */
class PgTimestampsTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "2026-11-23 16:42:00+00", "2026-11-23 16:42:00.5+00", "2026-11-23 16:42:00.123456+00",
            "2026-11-23 16:42:00.000001-03:30", "2026-11-23 00:00:00+05:30", "1900-01-01 00:00:00+00:09:21",
            "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00", "2024-02-29 12:00:00-11",
            "2026-11-23T16:42:00.123456+00:00", "2026-11-23T16:42:00+05:45", "2026-11-23T16:42:00.123456789Z"})
    void readsWhatJavaTimeReads(String text) {
        assertEquals(javaTime(text), PgTimestamps.parse(text), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "infinity", "-infinity", "0044-03-15 12:00:00+00 BC", "12026-01-01 00:00:00+00", "2026-11-23",
            "2026-02-30 00:00:00+00", "2026-11-23 24:00:00+00", "2026-11-23 16:42:00.+00", "2026-11-23 16:42:00",
            "2026-11-23 16:42:00+0", "2026-11-23 16:42:00+00:", "2026-11-23 16:42:00+00:00:00:00",
            "2026-11-23 16:42:00.1234567891+00", "2026/11/23 16:42:00+00"})
    void answersNullForWhatItDoesNotRead(String text) {
        assertNull(PgTimestamps.parse(text), text);
    }

    @Test
    void agreesOnManyInstantsAndOffsets() {
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 10_000; i++) {
            Instant instant = Instant.ofEpochSecond(random.nextLong(-62_135_596_800L, 253_402_300_799L),
                    random.nextInt(1_000_000) * 1_000L);
            int offsetMinutes = random.nextInt(-12 * 60, 14 * 60 + 1);
            OffsetDateTime time = instant.atOffset(java.time.ZoneOffset.ofTotalSeconds(offsetMinutes * 60));
            String text = time.toString().replace('T', random.nextBoolean() ? 'T' : ' ');
            assertEquals(instant, PgTimestamps.parse(text), text);
        }
    }

    /** java.time reads "+00" and "+00:09:21" only with a pattern of its own. */
    private static Instant javaTime(String text) {
        String iso = text.replace(' ', 'T');
        if (iso.matches(".*[+-]\\d\\d$")) {
            iso += ":00";
        }
        return OffsetDateTime.parse(iso).toInstant();
    }
}
