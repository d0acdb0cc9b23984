package dev.runplane.server.store;

import dev.runplane.server.core.auth.ApiKey;
import dev.runplane.server.core.auth.KeyStore;
import dev.runplane.server.core.auth.NewApiKey;
import dev.runplane.server.core.auth.Scope;
import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.store.db.DatabaseErrors;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** API keys in PostgreSQL (table api_keys, migration V5; statements: {@link ApiKeysSql}). */
public final class PostgresKeyStore implements KeyStore {

    private final ConnectionFactory connections;

    public PostgresKeyStore(ConnectionFactory connections) {
        this.connections = connections;
    }

    @Override
    public Mono<ApiKey> create(NewApiKey key) {
        return withConnection(c -> {
            Statement statement = c.createStatement(ApiKeysSql.INSERT);
            statement.bind(0, key.id())
                    .bind(1, ByteBuffer.wrap(key.secretSha256()))
                    .bind(2, key.scopes().stream().map(Scope::name).toArray(String[]::new))
                    .bind(3, key.pipelines().toArray(String[]::new))
                    .bind(4, key.description());
            new Binder(statement).value(5, key.expireTime(), Instant.class);
            return Mono.from(statement.execute()).flatMap(result -> Mono.from(result.map((row, meta) -> read(row))));
        });
    }

    @Override
    public Mono<ApiKey> find(String id) {
        return withConnection(c -> Mono.from(c.createStatement(ApiKeysSql.FIND)
                        .bind(0, id).execute())
                .flatMap(result -> Mono.from(result.map((row, meta) -> read(row)))));
    }

    @Override
    public Flux<ApiKey> list(boolean includeRevoked) {
        String sql = includeRevoked ? ApiKeysSql.LIST_ALL : ApiKeysSql.LIST_ACTIVE;
        return Flux.usingWhen(connections.create(),
                        c -> Flux.from(c.createStatement(sql).execute()).flatMap(r -> r.map((row, meta) -> read(row))),
                        Connection::close)
                .onErrorMap(DatabaseErrors::translate);
    }

    @Override
    public Mono<ApiKey> revoke(String id) {
        return withConnection(c -> Mono.from(c.createStatement(ApiKeysSql.REVOKE).bind(0, id).execute())
                .flatMap(result -> Mono.from(result.map((row, meta) -> read(row)))))
                .switchIfEmpty(Mono.error(() -> new NotFoundException("api_key", id)));
    }

    @Override
    public Mono<Void> touch(String id) {
        return withConnection(c -> Mono.from(c.createStatement(ApiKeysSql.TOUCH)
                        .bind(0, id).execute())
                .flatMap(result -> Mono.from(result.getRowsUpdated())))
                .then();
    }

    @Override
    public Mono<Boolean> anyExists() {
        return withConnection(c -> Mono.from(c.createStatement(ApiKeysSql.ANY_EXISTS).execute())
                .flatMap(result -> Mono.from(result.map((row, meta) -> Boolean.TRUE.equals(row.get("any", Boolean.class))))));
    }

    private static ApiKey read(Row row) {
        ByteBuffer hash = row.get("secret_sha256", ByteBuffer.class);
        byte[] hashBytes = new byte[hash.remaining()];
        hash.get(hashBytes);
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String scope : row.get("scopes", String[].class)) {
            scopes.add(Scope.valueOf(scope));
        }
        String[] pipelines = row.get("pipelines", String[].class);
        return new ApiKey(row.get("id", String.class), hashBytes, Set.copyOf(scopes),
                pipelines == null ? List.of() : List.copyOf(Arrays.asList(pipelines)),
                row.get("description", String.class), row.get("create_time", Instant.class),
                row.get("expire_time", Instant.class), row.get("revoke_time", Instant.class),
                row.get("last_use_time", Instant.class));
    }

    private <T> Mono<T> withConnection(Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(connections.create(), work, Connection::close)
                .onErrorMap(DatabaseErrors::translate);
    }
}
