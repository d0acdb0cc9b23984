package dev.runplane.server.grpc;

import dev.runplane.server.core.ExecutionWatch;
import dev.runplane.server.core.Limits;
import dev.runplane.server.core.WatchFilter;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionsRequest;
import java.time.Duration;
import java.util.UUID;

/** Checks WatchExecution and WatchExecutions requests; every bad field is named. */
final class WatchRequestValidator {

    /** A heartbeat when nothing was sent for this long, unless the request says otherwise. */
    static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
    static final Duration MIN_HEARTBEAT = Duration.ofSeconds(1);
    static final Duration MAX_HEARTBEAT = Duration.ofHours(1);

    record ValidWatch(UUID id, long afterRevision, Duration heartbeatInterval) {
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
        Duration heartbeat = checks.durationOrDefault("heartbeat_interval", request.hasHeartbeatInterval(),
                request.getHeartbeatInterval(), DEFAULT_HEARTBEAT, MIN_HEARTBEAT, MAX_HEARTBEAT);
        checks.throwIfInvalid();
        return new ValidWatch(id, request.getAfterRevision(), heartbeat);
    }

    /**
     * A WatchExecutions request. Its filter is Search's, checked by Search's code (its repeated fields
     * capped as Search's are, {@link FilterChecks}: each watcher's filter is matched against every
     * event, so 100,000 ids would cost every event's fan-out), and bad values named by index.
     */
    ExecutionWatch.FilteredWatch executions(WatchExecutionsRequest request) {
        RequestChecks checks = new RequestChecks();
        long after = request.getAfterSequence();
        if (after < ExecutionWatch.FROM_START) {
            checks.fail("after_sequence", "must be the sequence of an event, 0 (from now) or -1 (from the oldest "
                    + "retained event)");
        }
        if (request.getSnapshot() && after != 0) {
            // A snapshot shows now; events after an older sequence would not join it exactly.
            checks.fail("snapshot", "cannot be combined with after_sequence: resume from the sequence of "
                    + "snapshot_complete, a later event or a heartbeat without snapshot");
        }
        var filter = SearchRequestValidator.filter(checks, "filter.", request.getFilter(), FilterChecks.WATCH, limits);
        Duration heartbeat = checks.durationOrDefault("heartbeat_interval", request.hasHeartbeatInterval(),
                request.getHeartbeatInterval(), DEFAULT_HEARTBEAT, MIN_HEARTBEAT, MAX_HEARTBEAT);
        checks.throwIfInvalid();
        return new ExecutionWatch.FilteredWatch(new WatchFilter(filter), after, request.getSnapshot(), heartbeat);
    }
}
