package dev.runplane.server.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Waiters wake on their group's signal (each wait allows 30 s; each check fails after 5 s). */
class LocalWorkSignalsTest {

    @Test
    void aSignalWakesOneWaiterOfTheMatchingGroup() {
        LocalWorkSignals signals = new LocalWorkSignals();
        long seen = signals.generation(List.of("a", "b"));
        StepVerifier.create(signals.awaitAfter(List.of("b", "a"), seen, Duration.ofSeconds(30)))
                .then(() -> signals.signal("b"))
                .expectComplete()
                .verify(Duration.ofSeconds(5)); // well before the 30 s timeout: the signal woke it
    }

    @Test
    void idleGroupsWithoutWaitersAreDroppedAndWorkAgainWhenPolledAgain() {
        LocalWorkSignals signals = new LocalWorkSignals(Duration.ZERO); // every group is idle at once
        signals.generation(List.of("once"));
        assertEquals(1, signals.groupCount());
        signals.signal("other"); // signals prune
        assertEquals(0, signals.groupCount(), "the idle group is gone");

        long seen = signals.generation(List.of("once"));
        StepVerifier.create(signals.awaitAfter(List.of("once"), seen, Duration.ofSeconds(30)))
                .then(() -> signals.signal("once"))
                .expectComplete()
                .verify(Duration.ofSeconds(5)); // well before the 30 s timeout: the signal woke it
    }

    @Test
    void aGroupWithAWaiterIsKept() {
        LocalWorkSignals signals = new LocalWorkSignals(Duration.ZERO);
        long seen = signals.generation(List.of("kept"));
        StepVerifier.create(signals.awaitAfter(List.of("kept"), seen, Duration.ofSeconds(30)))
                .then(() -> {
                    signals.signal("other");
                    assertEquals(1, signals.groupCount(), "a group someone waits on stays");
                })
                .then(() -> signals.signal("kept"))
                .expectComplete()
                .verify(Duration.ofSeconds(5)); // well before the 30 s timeout: the signal woke it
    }
}
