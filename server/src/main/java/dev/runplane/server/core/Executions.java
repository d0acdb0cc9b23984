package dev.runplane.server.core;

import java.util.UUID;
import reactor.core.publisher.Mono;

/** The use cases of ExecutionService, free of transport and storage details. */
public final class Executions {

    private final ExecutionStore store;

    public Executions(ExecutionStore store) {
        this.store = store;
    }

    public Mono<Execution> run(NewExecution request) {
        return store.create(request);
    }

    public Mono<Execution> get(UUID id) {
        return store.find(id).switchIfEmpty(Mono.error(() -> NotFoundException.execution(id)));
    }

    /**
     * Cancels: QUEUED → CANCELLED, RUNNING → CANCELLING. An execution already cancelling or
     * cancelled is returned unchanged; any other refusal stays a refusal.
     */
    public Mono<Execution> cancel(UUID id, String actor, String reason) {
        return store.transition(TransitionRequest.of(id, Action.CANCEL, actor, reason))
                .onErrorResume(TransitionRefusedException.class, refused ->
                        refused.from() == ExecutionStatus.CANCELLING || refused.from() == ExecutionStatus.CANCELLED
                                ? get(id)
                                : Mono.error(refused));
    }
}
