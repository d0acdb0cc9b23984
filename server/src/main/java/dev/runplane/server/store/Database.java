package dev.runplane.server.store;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.ValidationDepth;
import java.time.Duration;
import java.util.Objects;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection pool of one server, and the schema migrations that run before it opens.
 * Pool settings follow TOOLCHAIN.md: r2dbc-pool's defaults do not survive a database restart.
 */
public final class Database implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Database.class);

    private final DatabaseAddress address;
    private final ConnectionPool pool;

    private Database(DatabaseAddress address, ConnectionPool pool) {
        this.address = address;
        this.pool = pool;
    }

    /** Migrates the schema (blocking; at start-up only), then opens the pool. */
    public static Database open(DatabaseAddress address, int poolSize) {
        Objects.requireNonNull(address, "address must not be null");
        migrate(address);
        PostgresqlConnectionFactory factory = new PostgresqlConnectionFactory(configuration(address, "runplane"));
        ConnectionPool pool = new ConnectionPool(ConnectionPoolConfiguration.builder(factory)
                .name("runplane")
                .initialSize(Math.min(2, poolSize))
                .minIdle(Math.min(2, poolSize))
                .maxSize(poolSize)
                .maxAcquireTime(Duration.ofSeconds(2))
                .acquireRetry(1)
                .maxCreateConnectionTime(Duration.ofSeconds(2))
                .maxValidationTime(Duration.ofSeconds(1))
                .validationDepth(ValidationDepth.LOCAL)
                .maxIdleTime(Duration.ofMinutes(10))
                .backgroundEvictionInterval(Duration.ofSeconds(30))
                .build());
        return new Database(address, pool);
    }

    /** Applies the versioned SQL files; Flyway's advisory lock makes concurrent replicas safe. */
    static void migrate(DatabaseAddress address) {
        var result = Flyway.configure()
                .dataSource(address.jdbcUrl(), address.user(), address.password())
                .locations("classpath:db/migration")
                .load()
                .migrate();
        log.info("Database schema at version {} ({} migrations applied now)",
                result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion,
                result.migrationsExecuted);
    }

    /** One {@code SELECT 1} through the pool: completes if the database answers (health checks). */
    public reactor.core.publisher.Mono<Void> ping() {
        return reactor.core.publisher.Mono.usingWhen(pool.create(),
                c -> reactor.core.publisher.Mono.from(c.createStatement("SELECT 1").execute())
                        .flatMap(r -> reactor.core.publisher.Mono.from(r.map((row, meta) -> 1))).then(),
                io.r2dbc.spi.Connection::close);
    }

    /**
     * A factory of plain connections outside the pool, for a long-lived connection with its own
     * name in pg_stat_activity (the event hub's LISTEN connection).
     */
    public PostgresqlConnectionFactory dedicatedConnections(String applicationName) {
        return new PostgresqlConnectionFactory(configuration(address, applicationName));
    }

    /** The settings of every connection: the pool's and the event hub's. */
    private static PostgresqlConnectionConfiguration configuration(DatabaseAddress address, String applicationName) {
        return PostgresqlConnectionConfiguration.builder()
                .host(address.host())
                .port(address.port())
                .database(address.database())
                .username(address.user())
                .password(address.password())
                .applicationName(applicationName)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    public ConnectionPool pool() {
        return this.pool;
    }

    public DatabaseAddress address() {
        return this.address;
    }

    @Override
    public void close() {
        pool.dispose();
    }
}
