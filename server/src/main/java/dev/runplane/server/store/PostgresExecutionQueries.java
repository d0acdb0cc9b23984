package dev.runplane.server.store;

import dev.runplane.server.core.Event;
import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionQueries;
import dev.runplane.server.core.search.PageTokens;
import dev.runplane.server.core.search.SearchFilter;
import dev.runplane.server.core.search.SearchOrder;
import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseErrors;
import dev.runplane.server.store.events.EventLog;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Statement;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Search and history queries in PostgreSQL: one read-only statement each. */
public final class PostgresExecutionQueries implements ExecutionQueries {

    private static final String PIPELINES_SQL = "SELECT id, pipeline FROM executions WHERE id = ANY($1::uuid[])";

    private static final String KEY_SQL = "SELECT key FROM page_token_keys WHERE id = 1";

    private final ConnectionFactory connections;
    private final ConnectionFactory customPlans;

    /** @param customPlans connections that plan each statement for its values ({@link Database#customPlans}) */
    public PostgresExecutionQueries(ConnectionFactory connections, ConnectionFactory customPlans) {
        this.connections = connections;
        this.customPlans = customPlans;
    }

    @Override
    public Flux<Execution> search(SearchFilter filter, String text, SearchOrder order, PageTokens.Cursor after,
                                  int limit) {
        SearchSql sql = SearchSql.page(filter, text, order, after, limit);
        return withConnection(customPlans, connection -> {
            Statement statement = connection.createStatement(sql.statement());
            sql.bind(statement);
            return Flux.from(statement.execute())
                    .flatMap(result -> result.map((row, meta) -> ExecutionReader.execution(new RowColumns(row))));
        });
    }

    @Override
    public Mono<Long> count(SearchFilter filter, String text) {
        SearchSql sql = SearchSql.count(filter, text);
        return withConnection(customPlans, connection -> {
            Statement statement = connection.createStatement(sql.statement());
            sql.bind(statement);
            return Flux.from(statement.execute())
                    .flatMap(result -> result.map((row, meta) -> row.get(0, Long.class)));
        }).single();
    }

    @Override
    public Flux<Event> events(UUID executionId, long afterRevision, int limit) {
        return withConnection(connection -> Flux.from(connection.createStatement(ExecutionEventsSql.HISTORY)
                        .bind(0, executionId).bind(1, afterRevision).bind(2, limit).execute())
                .flatMap(result -> result.map((row, meta) -> EventLog.event(row))));
    }

    @Override
    public Mono<Map<UUID, String>> pipelines(Collection<UUID> ids) {
        return withConnection(connection -> Flux.from(connection.createStatement(PIPELINES_SQL)
                        .bind(0, ids.toArray(UUID[]::new)).execute())
                .flatMap(result -> result.map((row, meta) -> Map.entry(row.get("id", UUID.class),
                        row.get("pipeline", String.class)))))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue);
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

    private <T> Flux<T> withConnection(Function<Connection, Flux<T>> work) {
        return withConnection(connections, work);
    }

    private static <T> Flux<T> withConnection(ConnectionFactory from, Function<Connection, Flux<T>> work) {
        return Flux.usingWhen(from.create(), work, Connection::close)
                .onErrorMap(DatabaseErrors::translate);
    }
}
