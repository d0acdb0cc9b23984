package dev.runplane.server.core;

import dev.runplane.server.core.error.TransitionRefusedException;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static dev.runplane.server.core.Action.*;
import static dev.runplane.server.core.ExecutionState.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransitionsTest {

    /** DESIGN.md's table, written out again independently of the code. */
    private static final Map<ExecutionState, Map<Action, ExecutionState>> EXPECTED = Map.of(
            QUEUED, Map.of(CLAIM, RUNNING, CANCEL, CANCELLED),
            RUNNING, Map.of(COMPLETE, SUCCEEDED, FAIL, FAILED, RETRY, QUEUED, TIME_OUT, TIMED_OUT, CANCEL, CANCELLING),
            CANCELLING, Map.of(CONFIRM_CANCEL, CANCELLED, COMPLETE, SUCCEEDED, FAIL, FAILED));

    static Stream<Arguments> everyPair() {
        return Stream.of(ExecutionState.values())
                .flatMap(from -> Stream.of(Action.values()).map(action -> Arguments.of(from, action)));
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("everyPair")
    void everyPairIsAllowedOrRefusedAsDesigned(ExecutionState from, Action action) {
        ExecutionState expected = EXPECTED.getOrDefault(from, Map.of()).get(action);
        if (expected != null) {
            assertEquals(expected, Transitions.next(from, action));
            assertTrue(Transitions.sources(action).contains(from));
        } else {
            TransitionRefusedException refused = assertThrows(TransitionRefusedException.class,
                    () -> Transitions.next(from, action));
            assertEquals(from, refused.from());
            assertEquals(action, refused.action());
            assertTrue(Transitions.target(from, action).isEmpty());
        }
    }

    @Test
    void terminalStatusesHaveNoWayOut() {
        for (ExecutionState terminal : EnumSet.of(SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, SKIPPED)) {
            assertTrue(terminal.isTerminal());
            for (Action action : Action.values()) {
                assertTrue(Transitions.target(terminal, action).isEmpty(), terminal + " + " + action);
            }
        }
    }

    @Test
    void onlyEnqueueAndSkipCreate() {
        assertEquals(QUEUED, Transitions.create(ENQUEUE));
        assertEquals(SKIPPED, Transitions.create(SKIP));
        for (Action action : EnumSet.complementOf(EnumSet.of(ENQUEUE, SKIP))) {
            TransitionRefusedException refused = assertThrows(TransitionRefusedException.class,
                    () -> Transitions.create(action));
            assertEquals(null, refused.from());
        }
    }

    @Test
    void edgesOfAnActionMatchTheTable() {
        assertEquals(Map.of(QUEUED, CANCELLED, RUNNING, CANCELLING), Transitions.edges(CANCEL));
        assertEquals(Set.of(RUNNING, CANCELLING), Transitions.sources(COMPLETE));
        assertTrue(Transitions.edges(ENQUEUE).isEmpty());
    }
}
