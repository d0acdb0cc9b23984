package dev.runplane.server.testing;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Waits for a condition with a timeout: the one place where tests sleep to wait for something.
 *
 * <p>It checks at once, then again after pauses of 10 ms doubling to 100 ms, and a last time at the
 * deadline (a zero timeout checks once). A condition may throw: an {@link Exception} (a refused gRPC
 * call, a file not written yet, a query) means "not yet" and the last one is the cause of the
 * timeout's AssertionError; an {@link Error} (an assertion inside the condition, a test saying "this
 * went wrong, stop waiting") ends the wait at once.
 */
public final class Eventually {

    private static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long LONGEST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** A condition on the system under test; it may throw (see the class comment). */
    @FunctionalInterface
    public interface Condition {
        boolean test() throws Exception;
    }

    /** Reads a value from the system under test; it may throw (see the class comment). */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    private Eventually() {
    }

    /** Waits until {@code condition} is true; an AssertionError names {@code what} at the timeout. */
    public static void await(Duration timeout, String what, Condition condition) throws InterruptedException {
        await(timeout, what, condition::test, Boolean::booleanValue);
    }

    /**
     * Waits until {@code probe} reads a value that satisfies {@code until} and returns it; the
     * timeout's AssertionError names {@code what} and the last value read (or exception thrown).
     */
    public static <T> T await(Duration timeout, String what, Probe<? extends T> probe, Predicate<? super T> until)
            throws InterruptedException {
        Last<T> last = poll(timeout, probe, until);
        if (!last.met) {
            String seen = last.failure != null ? "last exception: " + last.failure : "last value: " + last.value;
            throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what + "; "
                    + seen, last.failure);
        }
        return last.value;
    }

    /** Waits until {@code probe} reads a present value and returns what it holds. */
    public static <T> T awaitPresent(Duration timeout, String what, Probe<Optional<T>> probe)
            throws InterruptedException {
        return await(timeout, what, probe, Optional::isPresent).orElseThrow();
    }

    /**
     * Waits until {@code condition} is true, at most {@code timeout}; says whether it became true.
     * For a caller whose own assertion follows (with its own message), rather than the timeout's.
     */
    public static boolean within(Duration timeout, Condition condition) throws InterruptedException {
        return poll(timeout, condition::test, Boolean::booleanValue).met;
    }

    /**
     * Checks that {@code condition} stays true for the whole {@code period} (for "nothing happens
     * within X"); fails at the first check where it does not hold, or throws.
     */
    public static void holds(Duration period, String what, Condition condition) throws InterruptedException {
        long start = System.nanoTime();
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            boolean holds;
            try {
                holds = condition.test();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                throw new AssertionError(what + " did not hold after " + millisSince(start) + " ms: " + e, e);
            }
            if (!holds) {
                throw new AssertionError(what + " stopped holding after " + millisSince(start) + " ms of "
                        + period.toMillis());
            }
            long left = period.toNanos() - (System.nanoTime() - start);
            if (left <= 0) {
                return;
            }
            pause = sleep(pause, left);
        }
    }

    /** Checks until the value satisfies {@code until} or the timeout passes; the last check is at the deadline. */
    private static <T> Last<T> poll(Duration timeout, Probe<? extends T> probe, Predicate<? super T> until)
            throws InterruptedException {
        long start = System.nanoTime();
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            Last<T> last;
            try {
                T value = probe.get();
                last = new Last<>(until.test(value), value, null);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                last = new Last<>(false, null, e); // not yet: the timeout reports it
            }
            long left = timeout.toNanos() - (System.nanoTime() - start);
            if (last.met || left <= 0) {
                return last;
            }
            pause = sleep(pause, left);
        }
    }

    /** Sleeps {@code pause} (never past the deadline, {@code left} away); returns the next pause. */
    private static long sleep(long pause, long left) throws InterruptedException {
        TimeUnit.NANOSECONDS.sleep(Math.min(pause, left)); // the helper's job: the one sleep that waits
        return Math.min(pause * 2, LONGEST_PAUSE_NANOS);
    }

    private static long millisSince(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private record Last<T>(boolean met, T value, Exception failure) {
    }

    /**
     * A client's deliberate back-off before it retries (what a retrying client does under test), not
     * a wait for a condition: use {@link #await} for that.
     */
    public static void backOff(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
