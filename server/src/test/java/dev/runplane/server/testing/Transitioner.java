package dev.runplane.server.testing;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.Mode;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.core.TransitionRequest;
import dev.runplane.server.core.Trigger;
import dev.runplane.server.store.PostgresExecutionStore;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Drives executions through the real store (the workers' RPCs are another issue's): every change
 * goes through the transition table, one transaction each, like the services do.
 */
public final class Transitioner {

    private final PostgresExecutionStore store;

    public Transitioner(ConnectionFactory pool) {
        this.store = new PostgresExecutionStore(pool);
    }

    public Mono<Execution> create(String pipeline, Map<String, String> labels) {
        return store.create(new NewExecution(pipeline, Mode.PRODUCTION, 0, labels, "{}", Trigger.api(),
                null, null, null, null, null, 100, Duration.ofMinutes(5), null, "test"));
    }

    public Mono<Execution> apply(UUID id, Action action) {
        return store.transition(TransitionRequest.of(id, action, "test", ""));
    }

    /**
     * {@code retries} times CLAIM then RETRY, then CLAIM and COMPLETE: 2 × retries + 2 events after
     * the creation, the last one terminal.
     */
    public Mono<Execution> cycle(UUID id, int retries) {
        return Flux.range(0, retries)
                .concatMap(i -> apply(id, Action.CLAIM).then(apply(id, Action.RETRY)))
                .then(apply(id, Action.CLAIM))
                .then(apply(id, Action.COMPLETE));
    }

    /** Creates and cycles {@code count} executions with {@code concurrency} writers at once. */
    public Flux<Execution> createAndCycle(String pipeline, int count, int retries, int concurrency) {
        return Flux.range(0, count)
                .flatMap(i -> create(pipeline, Map.of("n", Integer.toString(i)))
                        .flatMap(e -> cycle(e.id(), retries)), concurrency);
    }
}
