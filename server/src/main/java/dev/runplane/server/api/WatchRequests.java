package dev.runplane.server.api;

import dev.runplane.server.core.Mode;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.Limits;
import dev.runplane.server.core.WatchFilter;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionsRequest;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

/** Validation of WatchExecution and WatchExecutions requests. */
final class WatchRequests {

    record ValidWatch(UUID id, long afterRevision) {
    }

    private WatchRequests() {
    }

    static ValidWatch validate(WatchExecutionRequest request) {
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
     * ignored. Its repeated fields are capped as Search caps them (each watcher's filter is matched
     * against every event, so 100,000 ids would cost every event's fan-out).
     */
    static WatchFilter filter(WatchExecutionsRequest request, Limits limits) {
        RequestChecks checks = new RequestChecks();
        if (request.getAfterSequence() < 0) {
            checks.fail("after_sequence", "must not be negative");
        }
        ExecutionFilter f = request.getFilter();
        Set<UUID> ids = new HashSet<>();
        if (SearchRequestValidator.countWithin(checks, "filter.ids", f.getIdsCount())) {
            for (int i = 0; i < f.getIdsCount(); i++) {
                ids.add(checks.id("filter.ids[" + i + "]", f.getIds(i)));
            }
        }
        Set<String> pipelines = new HashSet<>();
        if (SearchRequestValidator.countWithin(checks, "filter.pipelines", f.getPipelinesCount())) {
            for (int i = 0; i < f.getPipelinesCount(); i++) {
                pipelines.add(checks.pipeline("filter.pipelines[" + i + "]", f.getPipelines(i)));
            }
        }
        Set<ExecutionState> statuses = new HashSet<>();
        for (int i = 0; i < f.getStatusesCount(); i++) {
            dev.runplane.v1.ExecutionStatus status = f.getStatuses(i);
            if (status == dev.runplane.v1.ExecutionStatus.EXECUTION_STATUS_UNSPECIFIED
                    || status == dev.runplane.v1.ExecutionStatus.UNRECOGNIZED) {
                checks.fail("filter.statuses[" + i + "]", "must be a known status");
            } else {
                statuses.add(ProtoMapper.fromProto(status));
            }
        }
        Set<Mode> modes = new HashSet<>();
        for (int i = 0; i < f.getModesCount(); i++) {
            dev.runplane.v1.ExecutionMode mode = f.getModes(i);
            if (mode == dev.runplane.v1.ExecutionMode.EXECUTION_MODE_UNSPECIFIED
                    || mode == dev.runplane.v1.ExecutionMode.UNRECOGNIZED) {
                checks.fail("filter.modes[" + i + "]", "must be a known mode");
            } else {
                modes.add(ProtoMapper.fromProto(mode));
            }
        }
        RunRequestValidator.checkLabels(checks, "filter.labels", f.getLabelsMap(), limits);
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
