package dev.runplane.server.store;

import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionEvent;
import dev.runplane.server.core.ExecutionQueries;
import dev.runplane.server.core.PageTokens;
import dev.runplane.server.core.SearchFilter;
import dev.runplane.server.core.SearchOrder;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Statement;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Search and history queries in PostgreSQL: one read-only statement each. */
public final class PostgresExecutionQueries implements ExecutionQueries {

    private static final String EVENTS_SQL = """
            SELECT sequence, execution_id, revision, from_status, to_status, event_time, actor, reason, snapshot
            FROM execution_events WHERE execution_id = $1 AND revision > $2 ORDER BY revision LIMIT $3
            """;

    private static final String KEY_SQL = "SELECT key FROM page_token_keys WHERE id = 1";

    private final ConnectionFactory connections;

    public PostgresExecutionQueries(ConnectionFactory connections) {
        this.connections = connections;
    }

    @Override
    public Flux<Execution> search(SearchFilter filter, String text, SearchOrder order, PageTokens.Cursor after,
                                  int limit) {
        SearchSql sql = SearchSql.page(filter, text, order, after, limit);
        return withCustomPlans(connection -> {
            Statement statement = connection.createStatement(
                    "SELECT " + ExecutionReader.COLUMNS + " FROM executions WHERE " + sql.where());
            sql.bind(statement);
            return Flux.from(statement.execute())
                    .flatMap(result -> result.map((row, meta) -> ExecutionReader.execution(new RowColumns(row))));
        });
    }

    @Override
    public Mono<Long> count(SearchFilter filter, String text) {
        SearchSql sql = SearchSql.count(filter, text);
        return withCustomPlans(connection -> {
            Statement statement = connection.createStatement("SELECT count(*) FROM executions WHERE " + sql.where());
            sql.bind(statement);
            return Flux.from(statement.execute())
                    .flatMap(result -> result.map((row, meta) -> row.get(0, Long.class)));
        }).single();
    }

    @Override
    public Flux<ExecutionEvent> events(UUID executionId, long afterRevision, int limit) {
        return withConnection(connection -> Flux.from(connection.createStatement(EVENTS_SQL)
                        .bind(0, executionId).bind(1, afterRevision).bind(2, limit).execute())
                .flatMap(result -> result.map((row, meta) -> EventLog.event(row))));
    }

    @Override
    public Mono<byte[]> pageTokenKey() {
        return withConnection(connection -> Flux.from(connection.createStatement(KEY_SQL).execute())
                .flatMap(result -> result.map((row, meta) -> {
                    ByteBuffer key = row.get("key", ByteBuffer.class);
                    byte[] bytes = new byte[key.remaining()];
                    key.get(bytes);
                    return bytes;
                })))
                .single();
    }

    /**
     * Runs a search in a transaction that plans each statement for its actual values.
     * The driver keeps statements prepared, and after five executions PostgreSQL may switch to a
     * generic plan that cannot see the values: measured with 20,000 rows, {@code labels @> $1} then
     * walked the whole create_time index (15 ms, and linear in the table) instead of reading the 19
     * matching rows from the GIN index (0.2 ms). Planning costs a fraction of a millisecond.
     */
    private <T> Flux<T> withCustomPlans(Function<Connection, Flux<T>> work) {
        return withConnection(connection -> Flux.usingWhen(
                Mono.from(connection.beginTransaction())
                        .then(Mono.from(connection.createStatement(
                                "SET LOCAL plan_cache_mode = force_custom_plan").execute()))
                        .flatMap(result -> Mono.from(result.getRowsUpdated()))
                        .thenReturn(connection),
                work,
                Connection::commitTransaction,
                (c, error) -> c.rollbackTransaction(),
                Connection::rollbackTransaction));
    }

    private <T> Flux<T> withConnection(Function<Connection, Flux<T>> work) {
        return Flux.usingWhen(connections.create(), work, Connection::close)
                .onErrorMap(DatabaseErrors::translate);
    }
}
