package dev.runplane.server.store;

import dev.runplane.server.core.WorkerSightings;
import dev.runplane.server.store.db.DatabaseErrors;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Statement;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The workers table (V13): one upsert per recorded sighting, one bounded delete of stale rows. */
public final class PostgresWorkerSightings implements WorkerSightings {

    private final ConnectionFactory connections;

    public PostgresWorkerSightings(ConnectionFactory connections) {
        this.connections = connections;
    }

    @Override
    public Mono<Void> record(String workerId, List<String> pipelines, String keyId) {
        return withConnection(connection -> {
            Statement statement = connection.createStatement(QueuesSql.RECORD_WORKER).bind(0, workerId).bind(2, keyId);
            new Binder(statement).value(1, pipelines == null ? null : pipelines.toArray(String[]::new), String[].class);
            return Flux.from(statement.execute()).flatMap(result -> result.getRowsUpdated());
        }).then();
    }

    @Override
    public Mono<Integer> forget(Duration unseenFor, int limit) {
        return withConnection(connection -> Flux.from(connection.createStatement(QueuesSql.FORGET_WORKERS)
                        .bind(0, unseenFor.toMillis()).bind(1, limit).execute())
                .flatMap(result -> result.getRowsUpdated()))
                .reduce(0L, Long::sum)
                .map(Long::intValue);
    }

    private <T> Flux<T> withConnection(Function<Connection, Flux<T>> work) {
        return Flux.usingWhen(this.connections.create(), work, Connection::close)
                .onErrorMap(DatabaseErrors::translate);
    }
}
