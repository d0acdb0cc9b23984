package dev.runplane.server.store;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.ExecutionStore;
import dev.runplane.server.core.NewExecution;
import dev.runplane.server.core.TransitionRequest;
import dev.runplane.server.core.Transitions;
import dev.runplane.server.core.WorkSignals;
import dev.runplane.server.core.error.ContentionException;
import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.RequestIdConflictException;
import dev.runplane.server.core.error.TransitionRefusedException;
import dev.runplane.server.store.db.DatabaseErrors;
import dev.runplane.server.store.events.CoalescingNotifier;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The executions, their steps and their events in PostgreSQL. Each write is ONE statement (and so
 * one transaction): the row change and its event row commit together, or not at all. After each
 * commit that queued work, the store itself wakes this replica's pollers, once per commit
 * ({@link QueuedSignals}): a single Run or transition for its execution, a group-committed Run
 * statement for all of its Runs.
 */
public final class PostgresExecutionStore implements ExecutionStore {

    /** How often a Run may lose the dedup race to holders that finish at once before it gives up. */
    private static final int MAX_CREATE_ATTEMPTS = 20;

    private final ConnectionFactory connections;
    private final Map<Action, String> transitionSql = new EnumMap<>(Action.class);
    private final CoalescingNotifier notifier;
    private final QueuedSignals signals;
    /** Concurrent Runs share one INSERT statement and one commit. */
    private final RunBatcher runs;

    /**
     * A store whose commits are announced by the database trigger, one NOTIFY per statement, and
     * wake no pollers in-process.
     */
    public PostgresExecutionStore(ConnectionFactory connections) {
        this(connections, null, null);
    }

    /**
     * A store whose commits are announced by {@code notifier} (coalesced, after commit; its
     * statements mark their transaction so that the trigger stays silent, V3 migration), and whose
     * commits that queue work tell {@code signals} (this replica's pollers); either may be null.
     */
    public PostgresExecutionStore(ConnectionFactory connections, CoalescingNotifier notifier, WorkSignals signals) {
        this.connections = connections;
        this.notifier = notifier;
        this.signals = QueuedSignals.of(signals);
        this.runs = new RunBatcher(connections, notifier, this.signals,
                pending -> insert(pending.id(), pending.execution(), Action.ENQUEUE, null));
        for (Action action : Action.values()) {
            if (!Transitions.edges(action).isEmpty()) {
                transitionSql.put(action, CoalescingNotifier.marked(ExecutionsSql.transition(action), notifier));
            }
        }
    }

    private <T> Mono<T> announced(Mono<T> committed) {
        return notifier == null ? committed : committed.doOnSuccess(value -> {
            if (value != null) {
                notifier.committed();
            }
        });
    }

    /**
     * Run's creation rules. The row is inserted as QUEUED; if a unique index turns it away, a new
     * statement (which sees what the racing insert committed) finds out why: the same request_id
     * answers that execution (or a conflict if the request differs); an active holder of the
     * dedup_key makes this Run a SKIPPED execution pointing at the holder; and a holder that
     * finished in between means the QUEUED insert is tried again.
     */
    @Override
    public Mono<Execution> create(NewExecution n) {
        return create(n, MAX_CREATE_ATTEMPTS);
    }

    /**
     * The batchable ones are queued together at once, so that they share statements; see {@link #create}.
     * The executions are created whether or not the caller still listens, so each answer's creation
     * rules and announcement run as its commit answers, not when the caller gets round to reading it.
     */
    @Override
    public List<Mono<Execution>> createAll(List<NewExecution> executions) {
        List<NewExecution> batchable = executions.stream().filter(RunBatcher::batchable).toList();
        Iterator<Mono<Execution>> inserted = runs.insertAll(
                batchable.stream().map(n -> Ids.newId()).toList(), batchable).iterator();
        return executions.stream()
                .map(n -> RunBatcher.batchable(n) ? afterInsert(n, announced(inserted.next()), MAX_CREATE_ATTEMPTS)
                        : create(n))
                .map(created -> {
                    Mono<Execution> started = created.cache();
                    started.subscribe(execution -> { }, error -> { }); // the caller reads the error from the cache
                    return started;
                })
                .toList();
    }

    private Mono<Execution> create(NewExecution n, int attemptsLeft) {
        if (attemptsLeft == 0) {
            return Mono.error(new ContentionException("the dedup_key changed hands too often; retry the Run"));
        }
        Mono<Execution> queued = RunBatcher.batchable(n) ? announced(runs.insert(Ids.newId(), n))
                : insert(Ids.newId(), n, Action.ENQUEUE, null);
        return afterInsert(n, queued, attemptsLeft);
    }

    /** The QUEUED insert's answer, or (when a unique index refused the row) why: see {@link #create}. */
    private Mono<Execution> afterInsert(NewExecution n, Mono<Execution> queued, int attemptsLeft) {
        return queued
                .switchIfEmpty(Mono.defer(() -> sameRequest(n)))
                .switchIfEmpty(Mono.defer(() -> skipAsDuplicate(n, attemptsLeft)));
    }

    /** The execution an earlier Run with this request id created; empty if the id is new. */
    private Mono<Execution> sameRequest(NewExecution n) {
        if (n.requestId() == null) {
            return Mono.empty();
        }
        return withConnection(connection -> Mono.from(connection.createStatement(ExecutionsSql.FIND_BY_REQUEST_ID)
                        .bind(0, n.requestId()).execute())
                .flatMap(result -> Mono.from(result.map((row, meta) -> {
                    Execution existing = ExecutionReader.execution(new RowColumns(row));
                    if (!Objects.equals(row.get("request_fingerprint", String.class), n.requestFingerprint())) {
                        throw new RequestIdConflictException(n.requestId(), existing.id());
                    }
                    return existing;
                }))));
    }

    /** Records the Run as SKIPPED if an active execution holds its dedup key; else tries the insert again. */
    private Mono<Execution> skipAsDuplicate(NewExecution n, int attemptsLeft) {
        if (n.dedupKey() == null) {
            return create(n, attemptsLeft - 1);
        }
        return withConnection(connection -> Mono.from(connection
                        .createStatement(ExecutionsSql.FIND_ACTIVE_BY_DEDUP_KEY).bind(0, n.dedupKey()).execute())
                .flatMap(result -> Mono.from(result.map((row, meta) -> row.get("id", UUID.class)))))
                .flatMap(holder -> insert(Ids.newId(), n, Action.SKIP, holder)
                        // A racing Run with the same request id was skipped first.
                        .switchIfEmpty(Mono.defer(() -> sameRequest(n))))
                .switchIfEmpty(Mono.defer(() -> create(n, attemptsLeft - 1)));
    }

    /**
     * The execution and its first event, alone in the Run statement ({@link ExecutionsSql#INSERT}) and
     * its own commit, which signals its execution if queued; empty when a unique index refused the row.
     */
    private Mono<Execution> insert(UUID id, NewExecution n, Action action, UUID duplicateOf) {
        String reason = duplicateOf == null ? ""
                : "skipped: execution " + duplicateOf + " holds dedup_key " + n.dedupKey();
        ExecutionsSql.NewRow row = new ExecutionsSql.NewRow(id, n, Transitions.create(action), duplicateOf, reason);
        return announced(runs.insertAlone(row)).doOnNext(signals::committed);
    }

    @Override
    public Mono<Execution> find(UUID id) {
        return withConnection(connection -> {
            Mono<Execution> execution = Mono.from(connection.createStatement(ExecutionsSql.FIND).bind(0, id).execute())
                    .flatMap(result -> Mono.from(result.map((row, meta) -> ExecutionReader.execution(new RowColumns(row)))));
            return execution.flatMap(found -> Flux.from(connection.createStatement(ExecutionStepsSql.OF_EXECUTION)
                            .bind(0, id).execute())
                    .flatMap(result -> result.map((row, meta) -> ExecutionReader.step(new RowColumns(row))))
                    .collectList()
                    .map(found::withSteps));
        });
    }

    @Override
    public Mono<Execution> transition(TransitionRequest request) {
        String sql = transitionSql.get(request.action());
        if (sql == null) {
            return Mono.error(new TransitionRefusedException(null, request.action()));
        }
        return announced(withConnection(connection -> {
            Statement statement = connection.createStatement(sql);
            new Binder(statement)
                    .value(0, request.executionId(), UUID.class)
                    .value(1, request.actor() == null ? "" : request.actor(), String.class)
                    .value(2, request.reason() == null ? "" : request.reason(), String.class)
                    .value(3, request.workerId(), String.class)
                    .value(4, request.outputsJson(), String.class)
                    .value(5, request.message(), String.class)
                    .value(6, request.error(), String.class);
            return Mono.from(statement.execute())
                    .flatMap(result -> Mono.from(result.map((row, meta) -> outcome(row, request))))
                    .switchIfEmpty(Mono.error(() -> NotFoundException.execution(request.executionId())));
        })).doOnNext(signals::committed); // a RETRY queues it again
    }

    /** A transition's single result row: the changed execution, or the status that refused it. */
    private static Execution outcome(Row row, TransitionRequest request) {
        if (row.get("id", UUID.class) == null) {
            ExecutionState current = ExecutionState.valueOf(row.get("current_status", String.class));
            throw new TransitionRefusedException(current, request.action());
        }
        return ExecutionReader.execution(new RowColumns(row));
    }

    private <T> Mono<T> withConnection(Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(connections.create(), work, Connection::close)
                .onErrorMap(DatabaseErrors::translate);
    }
}
