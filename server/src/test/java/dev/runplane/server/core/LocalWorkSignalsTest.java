package dev.runplane.server.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.test.StepVerifier;

/** Waiters wake on their group's signal (each wait allows 30 s; each check fails after 5 s). */
class LocalWorkSignalsTest {

    @Test
    void aSignalWakesOneWaiterOfTheMatchingGroup() {
        LocalWorkSignals signals = new LocalWorkSignals();
        long seen = signals.generation(List.of("a", "b"));
        StepVerifier.create(signals.awaitAfter(List.of("b", "a"), 1, seen, Duration.ofSeconds(30)))
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
        StepVerifier.create(signals.awaitAfter(List.of("once"), 1, seen, Duration.ofSeconds(30)))
                .then(() -> signals.signal("once"))
                .expectComplete()
                .verify(Duration.ofSeconds(5)); // well before the 30 s timeout: the signal woke it
    }

    @Test
    void aGroupWithAWaiterIsKept() {
        LocalWorkSignals signals = new LocalWorkSignals(Duration.ZERO);
        long seen = signals.generation(List.of("kept"));
        StepVerifier.create(signals.awaitAfter(List.of("kept"), 1, seen, Duration.ofSeconds(30)))
                .then(() -> {
                    signals.signal("other");
                    assertEquals(1, signals.groupCount(), "a group someone waits on stays");
                })
                .then(() -> signals.signal("kept"))
                .expectComplete()
                .verify(Duration.ofSeconds(5)); // well before the 30 s timeout: the signal woke it
    }

    @Test
    void aSignalOfNExecutionsWakesWaitersUntilTheirBatchesCoverN() {
        LocalWorkSignals signals = new LocalWorkSignals();
        AtomicInteger woken = new AtomicInteger();
        List<Disposable> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // four waiters that claim 2 each
            long seen = signals.generation(List.of("n"));
            waiters.add(signals.awaitAfter(List.of("n"), 2, seen, Duration.ofSeconds(30))
                    .subscribe(null, null, woken::incrementAndGet));
        }
        signals.signal("n", 3); // 3 executions: two waiters of 2 cover them
        assertEquals(2, woken.get());
        signals.signal("n"); // 1 more: one waiter
        assertEquals(3, woken.get());
        waiters.forEach(Disposable::dispose);
    }
}
