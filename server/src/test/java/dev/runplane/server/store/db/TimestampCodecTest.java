package dev.runplane.server.store.db;

import dev.runplane.server.testing.TestPostgres;
import io.r2dbc.spi.Connection;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Timestamps read through the pool equal PostgreSQL's own epoch for them, in session time zones with
 * odd offsets, and the ones the fast reader leaves alone (infinity) still decode.
 */
class TimestampCodecTest {

    private static Database database;

    @BeforeAll
    static void open() {
        database = Database.open(TestPostgres.newDatabase(), 2);
    }

    @AfterAll
    static void close() {
        database.close();
    }

    @Test
    void readsEveryTimestampAsPostgresqlDoes() {
        for (String zone : List.of("UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Paris", "Pacific/Kiritimati")) {
            List<Instant[]> rows = Flux.usingWhen(database.pool().create(), c -> Mono.from(
                                    c.createStatement("SET TimeZone = '" + zone + "'").execute())
                            .flatMap(r -> Mono.from(r.getRowsUpdated()))
                            .thenMany(select(c)),
                    Connection::close).collectList().block();
            assertEquals(6, rows.size(), zone);
            for (Instant[] row : rows) {
                assertEquals(row[1], row[0], zone);
            }
        }
    }

    /** Each timestamp, and the same instant built from PostgreSQL's epoch microseconds. */
    private static Flux<Instant[]> select(Connection c) {
        return Flux.from(c.createStatement("""
                        SELECT t, (extract(epoch FROM t) * 1000000)::bigint AS micros FROM (VALUES
                            (now()), ('1900-01-01 00:00:00 UTC'::timestamptz), ('0001-01-01 00:00:00 UTC'::timestamptz),
                            ('9999-12-31 23:59:59.999999 UTC'::timestamptz), ('2024-02-29 12:34:56.000001 UTC'::timestamptz),
                            ('2026-03-29 01:30:00 UTC'::timestamptz)) AS v(t)
                        """).execute())
                .flatMap(r -> r.map((row, meta) -> new Instant[] {row.get("t", Instant.class),
                        Instant.EPOCH.plus(row.get("micros", Long.class), java.time.temporal.ChronoUnit.MICROS)}));
    }

    @Test
    void instantParametersStillEncode() {
        Instant sent = Instant.parse("2026-11-23T16:42:00.123456Z");
        Instant back = Flux.usingWhen(database.pool().create(),
                c -> Flux.from(c.createStatement("SELECT $1::timestamptz AS t").bind(0, sent).execute())
                        .flatMap(r -> r.map((row, meta) -> row.get("t", Instant.class))),
                Connection::close).blockFirst();
        assertEquals(sent, back);
        Instant none = Flux.usingWhen(database.pool().create(),
                c -> Flux.from(c.createStatement("SELECT coalesce($1::timestamptz, 'epoch') AS t")
                                .bindNull(0, Instant.class).execute())
                        .flatMap(r -> r.map((row, meta) -> row.get("t", Instant.class))),
                Connection::close).blockFirst();
        assertEquals(Instant.EPOCH, none);
    }

    @Test
    void leavesInfinityToTheDriver() {
        Instant[] infinity = Flux.usingWhen(database.pool().create(),
                c -> Flux.from(c.createStatement("SELECT 'infinity'::timestamptz AS t").execute())
                        .flatMap(r -> r.map((row, meta) -> new Instant[] {row.get("t", Instant.class),
                                row.get("t", java.time.OffsetDateTime.class).toInstant()})),
                Connection::close).blockFirst();
        assertEquals(infinity[1], infinity[0]); // what the driver's own codec makes of it
    }
}
