package dev.runplane.server.core.search;

import dev.runplane.server.core.Execution;
import java.util.Locale;

/**
 * How Search sorts: one key and a direction, with the execution id as tie-breaker in the same
 * direction, so that every row has one place and keyset pages never skip or repeat a row.
 * An execution without a value for the key (not started, not ended) sorts after every execution
 * that has one in ascending order, and before them in descending order.
 *
 * <p>Priority is the exception: its ties follow the claim order in both directions (queue time
 * ascending, never-queued last, then id ascending), the order in which workers take executions of
 * one priority (PostgresWorkerStore). Many executions share a priority, so their order matters.
 */
public record SearchOrder(Key key, boolean descending) {

    public static final SearchOrder DEFAULT = new SearchOrder(Key.CREATE_TIME, true);

    public enum Key {
        CREATE_TIME,
        START_TIME,
        END_TIME,
        PRIORITY,
        /** end_time - start_time; none while the execution has not ended. */
        EXECUTION_TIME
    }

    /** The key's value in the execution, as a long (microseconds for times), or null if it has none. */
    public Long valueOf(Execution e) {
        return switch (key) {
            case CREATE_TIME -> micros(e.createTime());
            case START_TIME -> micros(e.startTime());
            case END_TIME -> micros(e.endTime());
            case PRIORITY -> (long) e.priority();
            case EXECUTION_TIME -> e.startTime() == null || e.endTime() == null ? null
                    : micros(e.endTime()) - micros(e.startTime());
        };
    }

    /** Whether ties of the key are broken by the claim order (queue time, then id, both ascending). */
    public boolean tiesInClaimOrder() {
        return key == Key.PRIORITY;
    }

    /** The queue time in microseconds, the first tie-break of {@link #tiesInClaimOrder()}; null if never queued. */
    public Long queueTimeOf(Execution e) {
        return micros(e.queueTime());
    }

    /** The normalized text, as order_by accepts it. */
    @Override
    public String toString() {
        return key.name().toLowerCase(Locale.ROOT) + (descending ? " desc" : " asc");
    }

    private static Long micros(java.time.Instant time) {
        return time == null ? null : time.getEpochSecond() * 1_000_000L + time.getNano() / 1_000;
    }
}
