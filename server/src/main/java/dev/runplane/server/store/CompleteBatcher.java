package dev.runplane.server.store;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.WorkerReport;
import dev.runplane.server.core.error.LeaseLostException;
import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.RunplaneException;
import dev.runplane.server.core.error.TransitionRefusedException;
import dev.runplane.server.store.db.DatabaseErrors;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Group commit for Complete (DESIGN.md "Group commit"): Completes that arrive while earlier ones are
 * being written go together into ONE statement, so one commit serves many workers. There is no timer:
 * an idle server writes a lone Complete at once; under load, batches form by themselves while
 * {@link #MAX_IN_FLIGHT} statement runs. Each caller still gets its own answer: its execution, or its
 * own LEASE_LOST / NOT_FOUND / refusal, never a neighbour's. Rows are locked in id order, so two
 * batches cannot deadlock.
 */
final class CompleteBatcher {

    static final int MAX_BATCH = 100;
    /*
     * One statement at a time: a Complete statement costs about as much for 1 row as for 5 (its fixed
     * part is most of it), so the Completes that arrive meanwhile are better off waiting for the next
     * one than starting their own. Measured in WorkerBenchmark, a Complete per execution: with 4
     * workers 0.55 statements per execution instead of 1.0 (4 in flight), with 16 workers 0.2 instead
     * of 0.75; 1,316-1,630/s instead of 946-1,187/s with 16 workers.
     */
    static final int MAX_IN_FLIGHT = 1;

    private final ConnectionFactory connections;
    private final String sql;
    private final GroupCommit<Pending> batches = new GroupCommit<>(MAX_IN_FLIGHT, CompleteBatcher::take,
            this::writeAndAnswer);

    CompleteBatcher(ConnectionFactory connections, String sql) {
        this.connections = connections;
        this.sql = sql;
    }

    /**
     * Queues the reports together (at once, not on subscription) and answers each with its own Mono,
     * in order: a worker's CompleteBatch shares statements instead of spreading over the first ones.
     */
    List<Mono<Execution>> completeAll(List<WorkerReport> reports) {
        List<Pending> pending = reports.stream().map(report -> new Pending(report, Sinks.<Execution>one())).toList();
        batches.submitAll(pending);
        return pending.stream().map(p -> p.answer.asMono()).toList();
    }

    private Mono<Void> writeAndAnswer(List<Pending> batch) {
        return write(batch)
                .doOnNext(results -> deliver(batch, results))
                .doOnError(error -> batch.forEach(p -> p.answer.tryEmitError(error)))
                .onErrorResume(error -> Mono.empty())
                .then();
    }

    /** Up to MAX_BATCH pending Completes, at most one per execution (a repeat waits for the next batch). */
    private static List<Pending> take(Queue<Pending> queue) {
        List<Pending> batch = new ArrayList<>();
        List<Pending> repeats = new ArrayList<>();
        Set<UUID> ids = new HashSet<>();
        Pending next;
        while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) {
            if (ids.add(next.report.lease().executionId())) {
                batch.add(next);
            } else {
                repeats.add(next);
            }
        }
        queue.addAll(repeats);
        return batch;
    }

    private Mono<Map<UUID, Object>> write(List<Pending> batch) {
        int n = batch.size();
        UUID[] ids = new UUID[n];
        String[] tokens = new String[n];
        Integer[] attempts = new Integer[n];
        String[] outputs = new String[n];
        String[] messages = new String[n];
        String[] steps = new String[n];
        for (int i = 0; i < n; i++) {
            WorkerReport r = batch.get(i).report;
            ids[i] = r.lease().executionId();
            tokens[i] = r.lease().token();
            attempts[i] = r.lease().attempt();
            outputs[i] = r.outputsJson();
            messages[i] = r.message();
            steps[i] = ExecutionStepsSql.json(r.steps());
        }
        return Mono.usingWhen(connections.create(), connection -> Flux.from(connection.createStatement(sql)
                                .bind(0, ids).bind(1, tokens).bind(2, attempts).bind(3, outputs).bind(4, messages)
                                .bind(5, steps).execute())
                        .flatMap(result -> result.map((row, meta) -> Map.entry(row.get("input_id", UUID.class),
                                outcome(row))))
                        .collectMap(Map.Entry::getKey, Map.Entry::getValue, HashMap::new),
                Connection::close)
                .onErrorMap(DatabaseErrors::translate);
    }

    /** The row's answer for its caller: the execution, or the refusal (a RunplaneException) it gets. */
    private static Object outcome(Row row) {
        UUID id = row.get("input_id", UUID.class);
        String current = row.get("current_status", String.class);
        if (current == null) {
            return NotFoundException.execution(id);
        }
        if (!Boolean.TRUE.equals(row.get("held", Boolean.class))) {
            return new LeaseLostException(id);
        }
        if (row.get("id", UUID.class) == null) {
            return new TransitionRefusedException(ExecutionState.valueOf(current), Action.COMPLETE);
        }
        return ExecutionReader.execution(new RowColumns(row));
    }

    private static void deliver(List<Pending> batch, Map<UUID, Object> results) {
        for (Pending p : batch) {
            Object result = results.get(p.report.lease().executionId());
            if (result instanceof Execution execution) {
                p.answer.tryEmitValue(execution);
            } else if (result instanceof RunplaneException refusal) {
                p.answer.tryEmitError(refusal);
            } else {
                p.answer.tryEmitError(NotFoundException.execution(p.report.lease().executionId()));
            }
        }
    }

    private record Pending(WorkerReport report, Sinks.One<Execution> answer) {
    }
}
