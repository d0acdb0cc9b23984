package dev.runplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runplane.server.testing.Eventually;
import io.grpc.protobuf.services.HealthStatusManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * The database watch behind health and the ending of watch streams: one failed ping followed by a
 * good one is not an outage; two failed in a row are.
 */
class DatabaseCheckTest {

    private static final Duration INTERVAL = Duration.ofMillis(20);

    @Test
    void oneFailedPingIsNotAnOutage() throws Exception {
        AtomicInteger pings = new AtomicInteger();
        List<Boolean> lost = new CopyOnWriteArrayList<>();
        try (Operations operations = new Operations(null)) {
            operations.databaseLost().subscribe(lost::add);
            // Every third ping fails; the immediate second try answers.
            operations.watchDatabase(INTERVAL, () -> pings.incrementAndGet() % 3 == 1
                    ? Mono.error(new IllegalStateException("a slow or broken answer"))
                    : Mono.empty(), new HealthStatusManager());
            awaitPings(pings, 30);
            assertTrue(operations.databaseUp(), "still up");
            assertEquals(List.of(), lost, "no outage announced, so no watch stream was ended");
        }
    }

    @Test
    void twoFailedPingsInARowAreAnOutageAnnouncedOnce() throws Exception {
        AtomicInteger pings = new AtomicInteger();
        List<Boolean> lost = new CopyOnWriteArrayList<>();
        try (Operations operations = new Operations(null)) {
            operations.databaseLost().subscribe(lost::add);
            operations.watchDatabase(INTERVAL, () -> {
                pings.incrementAndGet();
                return Mono.error(new IllegalStateException("down"));
            }, new HealthStatusManager());
            awaitPings(pings, 10);
            assertFalse(operations.databaseUp(), "down");
            assertEquals(List.of(true), lost, "announced once, not on every failed check");
        }
    }

    private static void awaitPings(AtomicInteger pings, int count) throws InterruptedException {
        Eventually.within(Duration.ofSeconds(10), () -> pings.get() >= count);
        assertTrue(pings.get() >= count, "pinged " + pings.get() + " times");
    }
}
