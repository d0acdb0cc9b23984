package dev.runplane.server.grpc;

import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.Limits;
import dev.runplane.server.core.Mode;
import dev.runplane.server.core.WatchFilter;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionsRequest;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

/** Checks WatchExecution and WatchExecutions requests; every bad field is named. */
final class WatchRequestValidator {

    record ValidWatch(UUID id, long afterRevision) {
    }

    private final Limits limits;

    WatchRequestValidator(Limits limits) {
        this.limits = limits;
    }

    ValidWatch watch(WatchExecutionRequest request) {
        RequestChecks checks = new RequestChecks();
        UUID id = checks.id("id", request.getId());
        if (request.getAfterRevision() < 0) {
            checks.fail("after_revision", "must not be negative");
        }
        checks.throwIfInvalid();
        return new ValidWatch(id, request.getAfterRevision());
    }

    /**
     * The filter of a WatchExecutions request; fields a live stream cannot honour are refused, not
     * ignored. Its repeated fields are checked and capped as Search's are ({@link FilterChecks}; each
     * watcher's filter is matched against every event, so 100,000 ids would cost every event's fan-out).
     */
    WatchFilter filter(WatchExecutionsRequest request) {
        RequestChecks checks = new RequestChecks();
        if (request.getAfterSequence() < 0) {
            checks.fail("after_sequence", "must not be negative");
        }
        ExecutionFilter f = request.getFilter();
        Set<UUID> ids = new HashSet<>(FilterChecks.WATCH.ids(checks, "filter.ids", f.getIdsList()));
        Set<String> pipelines = new HashSet<>(FilterChecks.WATCH.pipelines(checks, "filter.pipelines",
                f.getPipelinesList()));
        Set<ExecutionState> statuses = FilterChecks.WATCH.statuses(checks, "filter.statuses", f.getStatusesList());
        Set<Mode> modes = FilterChecks.WATCH.modes(checks, "filter.modes", f.getModesList());
        checks.labels("filter.labels", f.getLabelsMap(), limits);
        String unsupported = "is not supported by WatchExecutions (use ids, pipelines, statuses, modes or labels)";
        if (!f.getParentId().isEmpty()) {
            checks.fail("filter.parent_id", unsupported);
        }
        if (!f.getWorkerId().isEmpty()) {
            checks.fail("filter.worker_id", unsupported);
        }
        if (f.hasCreateTime() || f.hasStartTime() || f.hasEndTime()) {
            checks.fail("filter", "time ranges are not supported by WatchExecutions");
        }
        if (f.hasMinPriority() || f.hasMaxPriority()) {
            checks.fail("filter", "priority ranges are not supported by WatchExecutions");
        }
        checks.throwIfInvalid();
        return new WatchFilter(ids, pipelines, statuses, modes, f.getLabelsMap());
    }
}
