package dev.runplane.server.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Issue 18: a NewExecution is built by name, not by the position of fifteen arguments. */
class NewExecutionTest {

    @Test
    void aRunWithNothingButItsPipelineGetsTheDefaultsOfARunRequest() {
        assertEquals(new NewExecution("nightly", Mode.PRODUCTION, 0, Map.of(), "{}", Trigger.api(),
                        null, null, null, null, null, 1, null, null, null),
                NewExecution.builder("nightly").build());
    }

    @Test
    void everyComponentIsSetByItsName() {
        UUID parent = UUID.randomUUID();
        UUID original = UUID.randomUUID();
        Trigger trigger = new Trigger(TriggerKind.SCHEDULE, "cron", "{\"at\": \"9\"}");
        Instant at = Instant.parse("2026-11-22T09:00:00Z");
        NewExecution built = NewExecution.builder("nightly")
                .mode(Mode.EXPERIMENT)
                .priority(7)
                .labels(Map.of("twin", "t1"))
                .inputsJson("{\"day\": 1}")
                .trigger(trigger)
                .parentId(parent)
                .rerunOf(original)
                .request("req-1", "fingerprint")
                .dedupKey("dedup")
                .maxAttempts(3)
                .maxRuntime(Duration.ofMinutes(5))
                .scheduledFor(at)
                .actor("key:k1")
                .build();
        assertEquals(new NewExecution("nightly", Mode.EXPERIMENT, 7, Map.of("twin", "t1"), "{\"day\": 1}",
                trigger, parent, original, "req-1", "fingerprint", "dedup", 3, Duration.ofMinutes(5), at, "key:k1"),
                built);
    }

    @Test
    void aPipelineIsRequired() {
        assertThrows(NullPointerException.class, () -> NewExecution.builder(null));
    }
}
