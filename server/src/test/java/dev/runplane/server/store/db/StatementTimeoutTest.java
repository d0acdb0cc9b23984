package dev.runplane.server.store.db;

import dev.runplane.server.core.error.ResourceExhaustedException;
import dev.runplane.server.grpc.ErrorMapper;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.TestPostgres;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Statements of the custom-plans pool (searches, counts, the reaper) stop at a statement timeout,
 * and a stopped one reaches the client as RESOURCE_EXHAUSTED / STATEMENT_TIMEOUT saying what to do,
 * not INTERNAL. The hot path's pool has none.
 */
class StatementTimeoutTest {

    private static DatabaseAddress address;

    @BeforeAll
    static void migrate() {
        address = TestPostgres.newDatabase();
    }

    private static String show(ConnectionFactory pool) {
        return Mono.usingWhen(pool.create(), c -> Mono.from(c.createStatement("SHOW statement_timeout").execute())
                        .flatMap(r -> Mono.from(r.map((row, meta) -> row.get(0, String.class)))),
                Connection::close).block(Duration.ofSeconds(10));
    }

    @Test
    void onlyTheCustomPlansPoolHasATimeout() {
        try (Database database = Database.open(address, 2)) {
            assertEquals(Database.CUSTOM_PLANS_STATEMENT_TIMEOUT, show(database.customPlans()));
            assertEquals("0", show(database.pool()));
        }
    }

    @Test
    void aStatementStoppedByTheTimeoutIsResourceExhaustedWithAHint() {
        try (Database database = Database.open(address, 2)) { // closed after: the session keeps the short timeout
            stopsAtTheTimeout(database);
        }
    }

    private static void stopsAtTheTimeout(Database database) {
        Mono<Integer> slow = Mono.usingWhen(database.customPlans().create(),
                c -> Flux.from(c.createStatement("SET statement_timeout = '50ms'").execute())
                        .flatMap(r -> r.getRowsUpdated())
                        .then(Mono.from(c.createStatement("SELECT pg_sleep(5)").execute())
                                .flatMap(r -> Mono.from(r.map((row, meta) -> 1)))),
                Connection::close).onErrorMap(DatabaseErrors::translate);
        ResourceExhaustedException stopped = assertThrows(ResourceExhaustedException.class,
                () -> slow.block(Duration.ofSeconds(10)));
        assertEquals("STATEMENT_TIMEOUT", stopped.reason());
        StatusRuntimeException status = ErrorMapper.toStatus(stopped);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getStatus().getCode());
        assertEquals("STATEMENT_TIMEOUT", Errors.errorInfo(status).orElseThrow().getReason());
        assertTrue(status.getStatus().getDescription().contains("filter"), status.getStatus().getDescription());
    }
}
