package dev.runplane.server.core;

import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.RequestIdConflictException;
import dev.runplane.server.core.error.TransitionRefusedException;
import java.util.List;
import java.util.UUID;
import reactor.core.publisher.Mono;

/**
 * The durable state of executions. Every change is one transaction together with its event. A store
 * wired to this replica's {@link WorkSignals} tells it, after each commit that queued work, which
 * pipelines got how many executions: once per commit, however its answers are delivered.
 */
public interface ExecutionStore {

    /**
     * Creates an execution with its first event: QUEUED, or SKIPPED (duplicate_of set) while an
     * active execution holds the same dedup key. A request id that an earlier execution holds
     * answers that execution when the fingerprints match, else {@link RequestIdConflictException}.
     */
    Mono<Execution> create(NewExecution execution);

    /**
     * Each execution as {@link #create} would create it, answered in order; the store may write
     * them together (one commit), so the Monos may be hot: the work starts before subscription.
     */
    List<Mono<Execution>> createAll(List<NewExecution> executions);

    /** One execution with its steps; empty when there is none with this id. */
    Mono<Execution> find(UUID id);

    /**
     * Applies one edge of the transition table atomically: the execution's status must be one of
     * the action's sources when the change commits. Fails with {@link NotFoundException} or
     * {@link TransitionRefusedException} (holding the current status) and changes nothing then.
     */
    Mono<Execution> transition(TransitionRequest request);
}
