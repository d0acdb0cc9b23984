package dev.runplane.server.core.search;

import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.Mode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Which executions a Search selects. Fields combine with AND, values inside a list with OR; an
 * empty list, an empty map or a null means "no condition".
 *
 * @param labels label equality: every key must have its value
 */
public record SearchFilter(
        List<UUID> ids,
        List<String> pipelines,
        List<ExecutionState> statuses,
        List<Mode> modes,
        Map<String, String> labels,
        UUID parentId,
        String workerId,
        TimeRange createTime,
        TimeRange startTime,
        TimeRange endTime,
        Integer minPriority,
        Integer maxPriority) {

    public static final SearchFilter ALL = new SearchFilter(List.of(), List.of(), List.of(), List.of(), Map.of(),
            null, null, TimeRange.ANY, TimeRange.ANY, TimeRange.ANY, null, null);

    /**
     * A half-open time range [start, end); a null bound is open.
     */
    public record TimeRange(Instant start, Instant end) {

        public static final TimeRange ANY = new TimeRange(null, null);
    }
}
