package dev.runplane.server.grpc;

import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.Mode;
import dev.runplane.v1.ExecutionMode;
import dev.runplane.v1.ExecutionStatus;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The checks of an ExecutionFilter's repeated fields that Search and WatchExecutions share, one
 * function per field, so that both refuse the same values. How a refusal reads is each RPC's own and
 * stays as clients know it: {@link #SEARCH} names the field once per distinct bad value
 * ({@code filter.ids}), {@link #WATCH} names every bad value by its index ({@code filter.ids[2]}).
 * Labels are checked by {@link RequestChecks#labels}, as a Run's are.
 *
 * @param byIndex       whether a refusal names the bad value's index
 * @param unknownStatus what a refusal of an unknown status says
 * @param unknownMode   what a refusal of an unknown mode says
 */
record FilterChecks(boolean byIndex, String unknownStatus, String unknownMode) {

    /** More values than this in one repeated filter field is a mistake, not a search. */
    static final int MAX_VALUES = 1000;

    static final FilterChecks SEARCH = new FilterChecks(false,
            "must be known statuses (EXECUTION_STATUS_QUEUED, ...)",
            "must be EXECUTION_MODE_PRODUCTION or EXECUTION_MODE_EXPERIMENT");
    static final FilterChecks WATCH = new FilterChecks(true, "must be a known status", "must be a known mode");

    /** The ids (Search: the distinct ones, in text order). */
    List<UUID> ids(RequestChecks checks, String field, List<String> values) {
        List<UUID> ids = new ArrayList<>();
        if (!countWithin(checks, field, values.size())) {
            return ids;
        }
        List<String> checked = checked(values);
        for (int i = 0; i < checked.size(); i++) {
            String id = checked.get(i);
            // An empty id: WatchExecutions has always said it is required, Search that it is not an id.
            UUID parsed = byIndex ? checks.id(name(field, i), id)
                    : checks.optionalId(field, id.isEmpty() ? "-" : id);
            if (parsed != null) {
                ids.add(parsed);
            }
        }
        return ids;
    }

    /** The pipelines (Search: the distinct ones, in order). */
    List<String> pipelines(RequestChecks checks, String field, List<String> values) {
        List<String> pipelines = new ArrayList<>();
        if (!countWithin(checks, field, values.size())) {
            return pipelines;
        }
        List<String> checked = checked(values);
        for (int i = 0; i < checked.size(); i++) {
            pipelines.add(checks.pipeline(name(field, i), checked.get(i)));
        }
        return pipelines;
    }

    /** The statuses, in the state machine's order; UNSPECIFIED and values newer than this server are refused. */
    Set<ExecutionState> statuses(RequestChecks checks, String field, List<ExecutionStatus> values) {
        Set<ExecutionState> statuses = EnumSet.noneOf(ExecutionState.class);
        for (int i = 0; i < values.size(); i++) {
            ExecutionStatus status = values.get(i);
            if (status == ExecutionStatus.EXECUTION_STATUS_UNSPECIFIED || status == ExecutionStatus.UNRECOGNIZED) {
                checks.fail(name(field, i), unknownStatus);
            } else {
                statuses.add(ProtoMapper.fromProto(status));
            }
        }
        return statuses;
    }

    /** The modes, in order; UNSPECIFIED and values newer than this server are refused. */
    Set<Mode> modes(RequestChecks checks, String field, List<ExecutionMode> values) {
        Set<Mode> modes = EnumSet.noneOf(Mode.class);
        for (int i = 0; i < values.size(); i++) {
            ExecutionMode mode = values.get(i);
            if (mode == ExecutionMode.EXECUTION_MODE_UNSPECIFIED || mode == ExecutionMode.UNRECOGNIZED) {
                checks.fail(name(field, i), unknownMode);
            } else {
                modes.add(ProtoMapper.fromProto(mode));
            }
        }
        return modes;
    }

    /**
     * Whether a repeated field has at most {@link #MAX_VALUES} values: each watcher's filter is matched
     * against every event, and a search's values are bind parameters.
     */
    private static boolean countWithin(RequestChecks checks, String field, int count) {
        if (count > MAX_VALUES) {
            checks.fail(field, "must have at most " + MAX_VALUES + " values");
            return false;
        }
        return true;
    }

    private List<String> checked(List<String> values) {
        return byIndex ? values : List.copyOf(new TreeSet<>(values));
    }

    private String name(String field, int index) {
        return byIndex ? field + "[" + index + "]" : field;
    }
}
