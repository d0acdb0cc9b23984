package dev.runplane.server.store;

import dev.runplane.server.store.db.DatabaseErrors;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Counts for the metrics gauges: executions by status, and the queue of each pipeline. */
public final class ExecutionStats {

    /** One pipeline's queue: how many wait, and how long the oldest has waited. */
    public record Queue(String pipeline, long depth, double oldestAgeSeconds) {
    }

    /** Executions of one status. */
    public record StatusCount(String status, long count) {
    }

    /** Each part matches one partial index's predicate (executions_queue, executions_leases). */
    static final String ACTIVE_SQL = "SELECT 'QUEUED' AS status, count(*) AS n FROM executions WHERE status = 'QUEUED' "
            + "UNION ALL SELECT status, count(*) AS n FROM executions WHERE status IN (" + Sql.LEASED + ") "
            + "GROUP BY status";

    private final ConnectionFactory connections;

    public ExecutionStats(ConnectionFactory connections) {
        this.connections = connections;
    }

    /**
     * Executions that are queued, running or cancelling: a walk of the two partial indexes that hold
     * exactly these rows (executions_queue, executions_leases), so it costs what is active, not the
     * history.
     */
    public Mono<List<StatusCount>> active() {
        return counts(ACTIVE_SQL);
    }

    /** Executions in a terminal status: this reads the whole history, so the gauges refresh it rarely. */
    public Mono<List<StatusCount>> finished() {
        return counts("SELECT status, count(*) AS n FROM executions WHERE status IN (" + Sql.TERMINAL + ") GROUP BY status");
    }

    private Mono<List<StatusCount>> counts(String sql) {
        return query(sql, row -> new StatusCount(row.get("status", String.class), row.get("n", Long.class)));
    }

    /** Walks the partial index of queued rows. */
    public Mono<List<Queue>> queues() {
        String sql = "SELECT pipeline, count(*) AS n, extract(epoch FROM now() - min(queue_time))::float8 AS age "
                + "FROM executions WHERE status = 'QUEUED' GROUP BY pipeline";
        return query(sql, row -> new Queue(row.get("pipeline", String.class), row.get("n", Long.class),
                row.get("age", Double.class) == null ? 0 : row.get("age", Double.class)));
    }

    private <T> Mono<List<T>> query(String sql, java.util.function.Function<io.r2dbc.spi.Row, T> mapper) {
        return Flux.usingWhen(connections.create(),
                        c -> Flux.from(c.createStatement(sql).execute()).flatMap(r -> r.map((row, meta) -> mapper.apply(row))),
                        Connection::close)
                .collectList()
                .onErrorMap(DatabaseErrors::translate);
    }
}
