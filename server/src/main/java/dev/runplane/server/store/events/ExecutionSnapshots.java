package dev.runplane.server.store.events;

import dev.runplane.server.core.search.SearchFilter;
import dev.runplane.server.store.SnapshotSql;
import dev.runplane.server.store.db.DatabaseErrors;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Statement;
import reactor.core.publisher.Flux;

/**
 * Reads WatchExecutions snapshots: one statement each ({@link SnapshotSql}), streamed as the client
 * takes the rows, on the connections that Search uses (plans made for the values; their statement
 * timeout also bounds how long a client that stops reading holds one). At most {@value #CONCURRENT}
 * at once: dashboards that open together queue here, in memory, not in the pool.
 */
final class ExecutionSnapshots {

    static final int CONCURRENT = 2;

    private final ConnectionFactory connections;
    private final ReadGate gate = new ReadGate(CONCURRENT);

    ExecutionSnapshots(ConnectionFactory connections) {
        this.connections = connections;
    }

    /** The matching executions, most recently created first, at most {@code limit}; always one row at least. */
    Flux<SnapshotSql.Read> read(SearchFilter filter, int limit) {
        SnapshotSql sql = SnapshotSql.of(filter, limit);
        return gate.run(Flux.usingWhen(connections.create(), c -> {
            Statement statement = c.createStatement(sql.statement());
            sql.bind(statement);
            return Flux.from(statement.execute()).flatMap(r -> r.map((row, meta) -> SnapshotSql.read(row)));
        }, Connection::close)).onErrorMap(DatabaseErrors::translate);
    }
}
