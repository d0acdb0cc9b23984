package dev.runplane.server.store;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.Assignment;
import dev.runplane.server.core.ClaimRequest;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.HeartbeatOutcome;
import dev.runplane.server.core.Lease;
import dev.runplane.server.core.WorkSignals;
import dev.runplane.server.core.WorkerReport;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.core.WorkerStore;
import dev.runplane.server.core.error.LeaseLostException;
import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.TransitionRefusedException;
import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseErrors;
import dev.runplane.server.store.events.CoalescingNotifier;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The worker side of the executions table. Like {@link PostgresExecutionStore}, every write is ONE
 * statement ({@link ExecutionLeasesSql}): the conditional UPDATE, its event rows and the step rows
 * commit together, and a lease is checked in the same statement that uses it. A statement that
 * queues work again (a retryable Fail, the reaper's retries) wakes this replica's pollers after its
 * commit ({@link QueuedSignals}).
 */
public final class PostgresWorkerStore implements WorkerStore {

    private final ConnectionFactory connections;
    /** For the reaper's sweep, whose plan depends on its values ({@link Database#customPlans}). */
    private final ConnectionFactory customPlans;
    private final CoalescingNotifier notifier;
    private final QueuedSignals signals;
    private final CompleteBatcher completes;
    private final String claimSql;
    private final String heartbeatSql;
    private final String failSql;
    private final String reapSql;

    /**
     * A store whose commits are announced by the database trigger, one NOTIFY per statement, and
     * wake no pollers in-process.
     */
    public PostgresWorkerStore(ConnectionFactory connections) {
        this(connections, connections, null, null);
    }

    /**
     * A store whose commits are announced by {@code notifier}, coalesced, and whose requeues tell
     * {@code signals}, as {@link PostgresExecutionStore}'s (either may be null).
     * {@code customPlans}: connections that plan each statement for its values ({@link Database#customPlans}).
     */
    public PostgresWorkerStore(ConnectionFactory connections, ConnectionFactory customPlans,
                               CoalescingNotifier notifier, WorkSignals signals) {
        this.connections = connections;
        this.customPlans = customPlans;
        this.notifier = notifier;
        this.signals = QueuedSignals.of(signals);
        this.claimSql = CoalescingNotifier.marked(ExecutionLeasesSql.CLAIM, notifier);
        this.heartbeatSql = CoalescingNotifier.marked(ExecutionLeasesSql.HEARTBEAT, notifier);
        this.failSql = CoalescingNotifier.marked(ExecutionLeasesSql.FAIL, notifier);
        this.reapSql = CoalescingNotifier.marked(ExecutionLeasesSql.REAP, notifier);
        this.completes = new CompleteBatcher(connections,
                CoalescingNotifier.marked(ExecutionLeasesSql.COMPLETE_BATCH, notifier));
    }

    /** After a statement that wrote events has committed. */
    private void announce() {
        if (notifier != null) {
            notifier.committed();
        }
    }

    @Override
    public Mono<List<Assignment>> claim(ClaimRequest request) {
        // No look before the claim: an empty claim writes nothing and, since V4, announces nothing.
        String[] pipelines = request.pipelines().toArray(new String[0]);
        return withConnection(connection -> claim(connection, request, pipelines));
    }

    private Mono<List<Assignment>> claim(Connection connection, ClaimRequest request, String[] pipelines) {
        Statement statement = connection.createStatement(claimSql)
                .bind(0, request.workerId())
                .bind(1, pipelines)
                .bind(2, request.maxExecutions())
                .bind(3, request.leaseDuration().toMillis());
        return Flux.from(statement.execute())
                .flatMap(result -> result.map((row, meta) -> assignment(row)))
                .collectList()
                .doOnNext(claimed -> {
                    if (!claimed.isEmpty()) {
                        announce();
                    }
                });
    }

    @Override
    public Mono<HeartbeatOutcome> heartbeat(WorkerReport report) {
        boolean changed = report.message() != null || !report.steps().isEmpty();
        return withConnection(connection -> {
            Statement statement = leaseStatement(connection, heartbeatSql, report.lease());
            new Binder(statement)
                    .value(3, report.leaseDuration() == null ? null : report.leaseDuration().toMillis(), Long.class)
                    .value(4, report.message(), String.class)
                    .value(5, changed, Boolean.class)
                    .value(6, ExecutionStepsSql.json(report.steps()), String.class);
            return Mono.from(statement.execute())
                    .flatMap(result -> Mono.from(result.map((row, meta) -> {
                        requireHeld(row, report.lease());
                        Lease lease = new Lease(report.lease().executionId(), row.get("attempt", Integer.class),
                                row.get("lease_token", String.class), row.get("lease_expire_time", java.time.Instant.class));
                        boolean cancel = ExecutionState.CANCELLING.name().equals(row.get("status", String.class));
                        return new HeartbeatOutcome(lease, cancel, row.get("worker_id", String.class));
                    })))
                    .doOnNext(outcome -> {
                        if (changed) {
                            announce();
                        }
                    })
                    .switchIfEmpty(Mono.error(() -> NotFoundException.execution(report.lease().executionId())));
        });
    }

    @Override
    public List<Mono<Execution>> completeAll(List<WorkerReport> reports) {
        return completes.completeAll(reports).stream()
                .map(answer -> answer.doOnNext(execution -> announce()))
                .toList();
    }

    /** When the attempt goes back to the queue, this replica's waiting pollers are told. */
    @Override
    public Mono<Execution> fail(WorkerReport report, WorkerSettings settings) {
        long delay = report.retryDelay() != null ? report.retryDelay().toMillis()
                : backoff(report.lease().attempt(), settings).toMillis();
        return finish(failSql, report, Action.FAIL, delay, report.retryable()).doOnNext(signals::committed);
    }

    /** The delay before attempt n+1: base × 2^(n-1), at most the maximum. */
    static Duration backoff(int attempt, WorkerSettings settings) {
        long base = settings.retryBaseDelay().toMillis();
        long delay = base << Math.min(Math.max(attempt - 1, 0), 30);
        return Duration.ofMillis(Math.min(delay < 0 ? Long.MAX_VALUE : delay, settings.retryMaxDelay().toMillis()));
    }

    private Mono<Execution> finish(String sql, WorkerReport report, Action action, long retryDelayMs,
                                   boolean retryable) {
        return withConnection(connection -> {
            Statement statement = leaseStatement(connection, sql, report.lease());
            Binder bind = new Binder(statement)
                    .value(3, report.outputsJson(), String.class)
                    .value(4, report.message(), String.class)
                    .value(5, report.error(), String.class)
                    .value(6, ExecutionStepsSql.json(report.steps()), String.class)
                    .value(7, retryDelayMs, Long.class);
            bind.value(8, retryable, Boolean.class);
            return Mono.from(statement.execute())
                    .flatMap(result -> Mono.from(result.map((row, meta) -> {
                        requireHeld(row, report.lease());
                        if (row.get("id", UUID.class) == null) {
                            throw new TransitionRefusedException(
                                    ExecutionState.valueOf(row.get("current_status", String.class)), action);
                        }
                        return ExecutionReader.execution(new RowColumns(row));
                    })))
                    .doOnNext(execution -> announce())
                    .switchIfEmpty(Mono.error(() -> NotFoundException.execution(report.lease().executionId())));
        });
    }

    @Override
    public Mono<ReapResult> reap(WorkerSettings settings, int limit) {
        return withConnection(customPlans, connection -> Mono.from(connection.createStatement(reapSql)
                        .bind(0, settings.cancelGrace().toMillis())
                        .bind(1, settings.retryBaseDelay().toMillis())
                        .bind(2, settings.retryMaxDelay().toMillis())
                        .bind(3, limit)
                        .execute())
                .flatMap(result -> Mono.from(result.map((row, meta) -> new ReapResult(
                        row.get("changed", Long.class).intValue(), row.get("requeued", Long.class).intValue())))))
                .doOnNext(result -> {
                    if (result.changed() > 0) {
                        announce();
                    }
                    if (result.requeued() > 0) {
                        signals.queuedUnknown(); // the sweep counts its requeues but does not name their pipelines
                    }
                });
    }

    private static Statement leaseStatement(Connection connection, String sql, Lease lease) {
        return connection.createStatement(sql)
                .bind(0, lease.executionId())
                .bind(1, lease.token())
                .bind(2, lease.attempt());
    }

    private static void requireHeld(Row row, Lease lease) {
        if (!Boolean.TRUE.equals(row.get("held", Boolean.class))) {
            throw new LeaseLostException(lease.executionId());
        }
    }

    private static Assignment assignment(Row row) {
        Execution execution = ExecutionReader.execution(new RowColumns(row));
        Lease lease = new Lease(execution.id(), execution.attempt(), row.get("lease_token", String.class),
                row.get("lease_expire_time", java.time.Instant.class));
        return new Assignment(execution, lease);
    }

    private <T> Mono<T> withConnection(Function<Connection, Mono<T>> work) {
        return withConnection(connections, work);
    }

    private static <T> Mono<T> withConnection(ConnectionFactory from, Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(from.create(), work, Connection::close)
                .onErrorMap(DatabaseErrors::translate);
    }
}
