package dev.runplane.server.core;

import java.util.List;
import java.util.UUID;
import reactor.core.publisher.Mono;

/**
 * An {@link ExecutionStore} that tells this replica's waiting pollers when it queued an execution
 * (merged per commit when the store hands out a batch inside {@link SignalBatch#together}).
 */
public final class SignallingExecutionStore implements ExecutionStore {

    private final ExecutionStore store;
    private final WorkSignals signals;

    public SignallingExecutionStore(ExecutionStore store, WorkSignals signals) {
        this.store = store;
        this.signals = signals;
    }

    @Override
    public Mono<Execution> create(NewExecution execution) {
        return store.create(execution).doOnNext(this::signalIfQueued);
    }

    /**
     * The executions are created whether or not the caller still listens, so each is signalled as
     * its commit answers (merged per commit), not when the caller gets round to reading its answer.
     */
    @Override
    public List<Mono<Execution>> createAll(List<NewExecution> executions) {
        return store.createAll(executions).stream().map(created -> {
            Mono<Execution> signalled = created.doOnNext(this::signalIfQueued).cache();
            signalled.subscribe(execution -> { }, error -> { }); // the caller reads the error from the cache
            return signalled;
        }).toList();
    }

    @Override
    public Mono<Execution> find(UUID id) {
        return store.find(id);
    }

    @Override
    public Mono<Execution> transition(TransitionRequest request) {
        return store.transition(request).doOnNext(this::signalIfQueued);
    }

    private void signalIfQueued(Execution execution) {
        if (execution.status() == ExecutionStatus.QUEUED) {
            SignalBatch.signal(signals, execution.pipeline());
        }
    }
}
