package dev.runplane.server.core;

import dev.runplane.server.core.search.SearchFilter;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Which events a WatchExecutions stream receives: Search's filter ({@link SearchFilter}, every field
 * with Search's meaning), evaluated in memory on the execution's state after each change. This is
 * the one live predicate; {@code SearchFilterAgreementTest} holds it to Search's SQL.
 *
 * <p>An event is sent when the execution after it matches ({@link #matches(Execution)}), and also
 * when it leaves the filter's statuses: its from_status is one of them, and the execution after it
 * matches every other condition. So a dashboard that watches RUNNING sees each execution arrive and
 * receives the change that moves it out (its to_status says so: remove the row). Statuses match
 * the status AFTER the change, so a dashboard that watches FAILED sees each failure once.
 */
public final class WatchFilter {

    public static final WatchFilter ALL = new WatchFilter(SearchFilter.ALL);

    private final SearchFilter search;
    // Sets for the per-event test; the lists of the Search filter keep the request's order.
    private final Set<UUID> ids;
    private final Set<String> pipelines;
    private final Set<ExecutionState> statuses;
    private final Set<Mode> modes;

    public WatchFilter(SearchFilter search) {
        this.search = Objects.requireNonNull(search, "search must not be null");
        this.ids = Set.copyOf(search.ids());
        this.pipelines = Set.copyOf(search.pipelines());
        this.statuses = Set.copyOf(search.statuses());
        this.modes = Set.copyOf(search.modes());
    }

    /** The same filter as Search takes it (the snapshot's statement is Search's). */
    public SearchFilter search() {
        return search;
    }

    /** Whether a watcher with this filter receives the event (see the class comment). */
    public boolean accepts(Event event) {
        Execution e = event.execution();
        if (e == null) { // never written by this server: every event carries its execution's state
            return ids.isEmpty() || ids.contains(event.executionId());
        }
        if (matches(e, true)) {
            return true;
        }
        return !statuses.isEmpty() && event.fromStatus() != null && statuses.contains(event.fromStatus())
                && !statuses.contains(event.toStatus()) && matches(e, false);
    }

    /** Search's meaning of the filter on one execution's state. */
    public boolean matches(Execution e) {
        return matches(e, true);
    }

    private boolean matches(Execution e, boolean withStatus) {
        if (!ids.isEmpty() && !ids.contains(e.id())) {
            return false;
        }
        if (!pipelines.isEmpty() && !pipelines.contains(e.pipeline())) {
            return false;
        }
        if (withStatus && !statuses.isEmpty() && !statuses.contains(e.status())) {
            return false;
        }
        if (!modes.isEmpty() && !modes.contains(e.mode())) {
            return false;
        }
        for (Map.Entry<String, String> label : search.labels().entrySet()) {
            if (!label.getValue().equals(e.labels().get(label.getKey()))) {
                return false;
            }
        }
        if (search.parentId() != null && !search.parentId().equals(e.parentId())) {
            return false;
        }
        if (search.workerId() != null && !search.workerId().equals(e.workerId())) {
            return false;
        }
        if (search.minPriority() != null && e.priority() < search.minPriority()) {
            return false;
        }
        if (search.maxPriority() != null && e.priority() > search.maxPriority()) {
            return false;
        }
        return within(search.createTime(), e.createTime()) && within(search.startTime(), e.startTime())
                && within(search.endTime(), e.endTime());
    }

    /** [start, end) as SQL compares: a bound against a missing time is false, as NULL is. */
    private static boolean within(SearchFilter.TimeRange range, Instant time) {
        if (range.start() != null && (time == null || time.isBefore(range.start()))) {
            return false;
        }
        return range.end() == null || (time != null && time.isBefore(range.end()));
    }

    @Override
    public String toString() {
        return "WatchFilter" + search;
    }
}
