package dev.runplane.server.core;

import dev.runplane.server.core.error.TransitionRefusedException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.runplane.server.core.Action.CANCEL;
import static dev.runplane.server.core.Action.CLAIM;
import static dev.runplane.server.core.Action.COMPLETE;
import static dev.runplane.server.core.Action.CONFIRM_CANCEL;
import static dev.runplane.server.core.Action.ENQUEUE;
import static dev.runplane.server.core.Action.FAIL;
import static dev.runplane.server.core.Action.RETRY;
import static dev.runplane.server.core.Action.SKIP;
import static dev.runplane.server.core.Action.TIME_OUT;
import static dev.runplane.server.core.ExecutionState.CANCELLED;
import static dev.runplane.server.core.ExecutionState.CANCELLING;
import static dev.runplane.server.core.ExecutionState.FAILED;
import static dev.runplane.server.core.ExecutionState.QUEUED;
import static dev.runplane.server.core.ExecutionState.RUNNING;
import static dev.runplane.server.core.ExecutionState.SKIPPED;
import static dev.runplane.server.core.ExecutionState.SUCCEEDED;
import static dev.runplane.server.core.ExecutionState.TIMED_OUT;

/**
 * The one state machine of an execution: (status, action) → next status. Nothing else decides a
 * status; the store turns {@link #edges(Action)} into its conditional UPDATE, so a transition that
 * this table refuses can never be written.
 */
public final class Transitions {

    /** How a new execution starts: the only actions allowed without a current status. */
    private static final Map<Action, ExecutionState> CREATIONS = Map.of(ENQUEUE, QUEUED, SKIP, SKIPPED);

    private static final Map<ExecutionState, Map<Action, ExecutionState>> TABLE = new EnumMap<>(ExecutionState.class);

    static {
        allow(QUEUED, CLAIM, RUNNING);
        allow(QUEUED, CANCEL, CANCELLED);
        allow(RUNNING, COMPLETE, SUCCEEDED);
        allow(RUNNING, FAIL, FAILED);
        allow(RUNNING, RETRY, QUEUED);
        allow(RUNNING, TIME_OUT, TIMED_OUT);
        allow(RUNNING, CANCEL, CANCELLING);
        allow(CANCELLING, CONFIRM_CANCEL, CANCELLED);
        // The worker finished before it saw the cancel.
        allow(CANCELLING, COMPLETE, SUCCEEDED);
        allow(CANCELLING, FAIL, FAILED);
    }

    private Transitions() {
    }

    private static void allow(ExecutionState from, Action action, ExecutionState to) {
        TABLE.computeIfAbsent(from, s -> new EnumMap<>(Action.class)).put(action, to);
    }

    /** The status a new execution takes, or a refusal for an action that does not create. */
    public static ExecutionState create(Action action) {
        ExecutionState to = CREATIONS.get(action);
        if (to == null) {
            throw new TransitionRefusedException(null, action);
        }
        return to;
    }

    /** The next status, if the table allows the action from this status. */
    public static Optional<ExecutionState> target(ExecutionState from, Action action) {
        return Optional.ofNullable(TABLE.getOrDefault(from, Map.of()).get(action));
    }

    /** The next status, or {@link TransitionRefusedException} when the table has no such edge. */
    public static ExecutionState next(ExecutionState from, Action action) {
        return target(from, action).orElseThrow(() -> new TransitionRefusedException(from, action));
    }

    /** Every edge of one action, from → to: what the store's conditional UPDATE may do. */
    public static Map<ExecutionState, ExecutionState> edges(Action action) {
        Map<ExecutionState, ExecutionState> edges = new EnumMap<>(ExecutionState.class);
        TABLE.forEach((from, row) -> {
            ExecutionState to = row.get(action);
            if (to != null) {
                edges.put(from, to);
            }
        });
        return Collections.unmodifiableMap(edges);
    }

    /** The statuses from which the action is allowed. */
    public static Set<ExecutionState> sources(Action action) {
        Set<ExecutionState> sources = EnumSet.noneOf(ExecutionState.class);
        sources.addAll(edges(action).keySet());
        return sources;
    }
}
