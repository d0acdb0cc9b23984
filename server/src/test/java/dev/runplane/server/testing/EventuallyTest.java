package dev.runplane.server.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one helper that tests wait with. Its conditions here change with the number of checks, not
 * with time, so that no test of it depends on the machine's speed.
 */
class EventuallyTest {

    private static final Duration LONG = Duration.ofSeconds(20);

    @Test
    void awaitReturnsOnceTheConditionHolds() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        Eventually.await(LONG, "the third check", () -> checks.incrementAndGet() == 3);
        assertEquals(3, checks.get(), "checked until it held, and not once more");
    }

    @Test
    void awaitFailsAtTheTimeoutNamingWhatItAwaitedAndTheLastValue() {
        AtomicInteger checks = new AtomicInteger();
        AssertionError timedOut = assertThrows(AssertionError.class, () -> Eventually.await(Duration.ofMillis(50),
                "a million checks", checks::incrementAndGet, n -> n >= 1_000_000));
        assertTrue(timedOut.getMessage().contains("a million checks"), timedOut.getMessage());
        assertTrue(timedOut.getMessage().contains("last value: " + checks.get()), timedOut.getMessage());
        assertTrue(checks.get() >= 2, "it checked again at the deadline: " + checks.get());
    }

    @Test
    void aZeroTimeoutChecksOnce() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        assertThrows(AssertionError.class, () -> Eventually.await(Duration.ZERO, "never", () -> {
            checks.incrementAndGet();
            return false;
        }));
        assertEquals(1, checks.get());
        Eventually.await(Duration.ZERO, "at once", () -> true);
    }

    @Test
    void awaitReturnsTheFirstValueThatSatisfiesThePredicate() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        assertEquals(4, Eventually.await(LONG, "an even count above 3", checks::incrementAndGet,
                n -> n > 3 && n % 2 == 0));
    }

    @Test
    void awaitPresentReturnsTheValueInside() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        assertEquals("found", Eventually.awaitPresent(LONG, "the value",
                () -> checks.incrementAndGet() < 3 ? Optional.empty() : Optional.of("found")));
    }

    @Test
    void anExceptionMeansNotYetAndTheLastOneIsTheCauseOfTheTimeout() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        Eventually.await(LONG, "a read that fails twice", () -> {
            if (checks.incrementAndGet() < 3) {
                throw new IOException("not there yet " + checks.get());
            }
            return true;
        });
        assertEquals(3, checks.get());

        IOException last = new IOException("still not there");
        AssertionError timedOut = assertThrows(AssertionError.class, () -> Eventually.await(Duration.ofMillis(30),
                "a read that always fails", () -> {
                    throw last;
                }));
        assertSame(last, timedOut.getCause());
        assertTrue(timedOut.getMessage().contains("still not there"), timedOut.getMessage());
    }

    @Test
    void anAssertionInsideTheConditionFailsAtOnce() {
        AtomicInteger checks = new AtomicInteger();
        AssertionError failed = assertThrows(AssertionError.class, () -> Eventually.await(LONG, "never", () -> {
            checks.incrementAndGet();
            throw new AssertionError("the stream ended otherwise");
        }));
        assertEquals("the stream ended otherwise", failed.getMessage());
        assertEquals(1, checks.get(), "not retried until the timeout");
    }

    @Test
    void withinSaysWhetherTheConditionHeldInTime() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        assertTrue(Eventually.within(LONG, () -> checks.incrementAndGet() == 2));
        assertFalse(Eventually.within(Duration.ofMillis(30), () -> false));
        assertFalse(Eventually.within(Duration.ofMillis(30), () -> {
            throw new IOException("never readable");
        }), "an exception until the timeout is a no");
    }

    @Test
    void itBacksOffInsteadOfSpinning() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        assertFalse(Eventually.within(Duration.ofMillis(300), () -> checks.incrementAndGet() < 0));
        // Pauses of 10, 20, 40, 80, 100, 100 ms: at most 7 checks in 300 ms (fewer on a busy machine).
        assertTrue(checks.get() <= 8, "checked " + checks.get() + " times in 300 ms");
    }

    @Test
    void holdsChecksUntilThePeriodEnds() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        long start = System.nanoTime();
        Eventually.holds(Duration.ofMillis(100), "it stays true", () -> checks.incrementAndGet() > 0);
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(100).toNanos(), "it held for the whole period");
        assertTrue(checks.get() >= 2, "checked at the start and at the end: " + checks.get());
    }

    @Test
    void holdsFailsAtTheFirstCheckThatDoesNotHold() {
        AtomicInteger checks = new AtomicInteger();
        AssertionError broke = assertThrows(AssertionError.class, () -> Eventually.holds(LONG, "fewer than three checks",
                () -> checks.incrementAndGet() < 3));
        assertTrue(broke.getMessage().contains("fewer than three checks"), broke.getMessage());
        assertEquals(3, checks.get(), "it failed at once, not at the end of the period");

        IOException unreadable = new IOException("unreadable");
        AssertionError threw = assertThrows(AssertionError.class, () -> Eventually.holds(LONG, "a readable file", () -> {
            throw unreadable;
        }));
        assertInstanceOf(IOException.class, threw.getCause());
    }
}
