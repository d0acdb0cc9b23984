package dev.runplane.server.store;

import dev.runplane.server.core.Execution;
import dev.runplane.server.core.QueueQueries;
import dev.runplane.server.core.QueueSummary;
import dev.runplane.server.core.WorkerSummary;
import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseErrors;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** ListQueues, ListWorkers and queue positions in PostgreSQL: one read-only statement each ({@link QueuesSql}). */
public final class PostgresQueueQueries implements QueueQueries {

    private static final String QUEUES = QueuesSql.queues(false);
    private static final String QUEUES_OF = QueuesSql.queues(true);
    private static final String WORKERS = QueuesSql.workers(false);
    private static final String WORKERS_OF = QueuesSql.workers(true);

    private final ConnectionFactory connections;
    private final ConnectionFactory customPlans;

    /**
     * @param connections the main pool, for the position (a keyed range of the claim index)
     * @param customPlans connections that plan each statement for its values ({@link Database#customPlans}),
     *                    for the aggregates of the lists, as Search's
     */
    public PostgresQueueQueries(ConnectionFactory connections, ConnectionFactory customPlans) {
        this.connections = connections;
        this.customPlans = customPlans;
    }

    @Override
    public Flux<QueueSummary> queues(List<String> pipelines, Duration workerWindow) {
        return withConnection(this.customPlans, connection -> {
            Statement statement = filtered(connection, pipelines, QUEUES, QUEUES_OF, workerWindow);
            return Flux.from(statement.execute()).flatMap(result -> result.map((row, meta) -> queue(row)));
        });
    }

    @Override
    public Mono<Integer> position(Execution queued) {
        return withConnection(this.connections, connection -> Flux.from(connection.createStatement(QueuesSql.POSITION)
                        .bind(0, queued.pipeline())
                        .bind(1, queued.priority())
                        .bind(2, queued.queueTime())
                        .bind(3, queued.id())
                        .bind(4, queued.scheduledFor())
                        .execute())
                .flatMap(result -> result.map((row, meta) -> row.get("position", Long.class))))
                .single()
                // The position of one execution in one pipeline's queue: far below 2^31 in any queue that fits.
                .map(Math::toIntExact);
    }

    @Override
    public Flux<WorkerSummary> workers(List<String> pipelines, Duration window) {
        return withConnection(this.customPlans, connection -> {
            Statement statement = filtered(connection, pipelines, WORKERS, WORKERS_OF, window);
            return Flux.from(statement.execute()).flatMap(result -> result.map((row, meta) -> worker(row)));
        });
    }

    /** The statement with or without the pipeline filter ($1), and the window in ms after it. */
    private static Statement filtered(Connection connection, List<String> pipelines, String all, String only,
                                      Duration window) {
        if (pipelines.isEmpty()) {
            return connection.createStatement(all).bind(0, window.toMillis());
        }
        return connection.createStatement(only).bind(0, pipelines.toArray(String[]::new)).bind(1, window.toMillis());
    }

    private static QueueSummary queue(Row row) {
        return new QueueSummary(row.get("pipeline", String.class), row.get("queued_count", Long.class),
                row.get("scheduled_count", Long.class), row.get("running_count", Long.class),
                row.get("oldest_queue_time", Instant.class), row.get("worker_count", Long.class).intValue());
    }

    private static WorkerSummary worker(Row row) {
        String[] pipelines = row.get("pipelines", String[].class);
        return new WorkerSummary(row.get("worker_id", String.class),
                pipelines == null ? List.of() : Arrays.asList(pipelines), row.get("last_seen_time", Instant.class),
                row.get("running_count", Long.class), row.get("key_id", String.class));
    }

    private static <T> Flux<T> withConnection(ConnectionFactory from, Function<Connection, Flux<T>> work) {
        return Flux.usingWhen(from.create(), work, Connection::close)
                .onErrorMap(DatabaseErrors::translate);
    }
}
