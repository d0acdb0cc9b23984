package dev.runplane.server.core;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * The log of a task that retries by itself (the reaper's pass, the event hub's connection): while
 * its database is down it fails at every try, and a line per try would flood the log. So the first
 * failure is logged, then at most one line per {@link #REPEAT} with the count of failures since the
 * last line, and one line when the task succeeds again.
 */
public final class RepeatedFailureLog {

    /** While the failure lasts, one reminder line per minute. */
    public static final Duration REPEAT = Duration.ofMinutes(1);

    private final Logger log;
    private final String task;
    private final LongSupplier nanoClock;
    private boolean failing;
    private long unreported;
    private long nextLine;

    /** @param task what failed, as the log line names it ("Reaper pass") */
    public RepeatedFailureLog(Logger log, String task) {
        this(log, task, System::nanoTime);
    }

    RepeatedFailureLog(Logger log, String task, LongSupplier nanoClock) {
        this.log = log;
        this.task = task;
        this.nanoClock = nanoClock;
    }

    /** A failed try: logged if it is the first, or if the last line is {@link #REPEAT} old. */
    public synchronized void failed(Throwable error, String retrying) {
        long now = this.nanoClock.getAsLong();
        this.unreported++;
        if (!this.failing) {
            this.failing = true;
            log.warn("{} failed; {}: {}", this.task, retrying, error.toString());
        } else if (now - this.nextLine >= 0) {
            log.warn("{} still failing ({} more failures in the last {} s); {}: {}", this.task, this.unreported - 1,
                    REPEAT.toSeconds(), retrying, error.toString());
        } else {
            return;
        }
        this.unreported = 0;
        this.nextLine = now + REPEAT.toNanos();
    }

    /** A try that worked: after a failure, one line says so. */
    public synchronized void succeeded() {
        if (this.failing) {
            this.failing = false;
            log.info("{} works again", this.task);
        }
    }
}
