package dev.runplane.server.core;

import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Which events a WatchExecutions stream receives. An empty set or map means "any". Statuses match
 * the status AFTER the change, so a dashboard that watches FAILED sees each failure once.
 */
public record WatchFilter(Set<UUID> ids, Set<String> pipelines, Set<ExecutionState> statuses,
                          Set<Mode> modes, Map<String, String> labels) {

    public static final WatchFilter ALL = new WatchFilter(Set.of(), Set.of(), Set.of(), Set.of(), Map.of());

    public WatchFilter {
        ids = Set.copyOf(ids);
        pipelines = Set.copyOf(pipelines);
        statuses = Set.copyOf(statuses);
        modes = Set.copyOf(modes);
        labels = Map.copyOf(labels);
    }

    public boolean matches(Event event) {
        Execution e = event.execution();
        if (!ids.isEmpty() && !ids.contains(event.executionId())) {
            return false;
        }
        if (!statuses.isEmpty() && !statuses.contains(event.toStatus())) {
            return false;
        }
        if (e == null) {
            return pipelines.isEmpty() && modes.isEmpty() && labels.isEmpty();
        }
        if (!pipelines.isEmpty() && !pipelines.contains(e.pipeline())) {
            return false;
        }
        if (!modes.isEmpty() && !modes.contains(e.mode())) {
            return false;
        }
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (!label.getValue().equals(e.labels().get(label.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
