package dev.runplane.server.store.db;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.ValidationDepth;
import java.time.Duration;
import java.util.Map;
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

    /**
     * How long one statement of the custom-plans pool (searches, counts, the reaper) may run before
     * PostgreSQL stops it: a search that the indexes cannot narrow (a priority order over millions of
     * rows, say) ends with RESOURCE_EXHAUSTED instead of holding a connection and a core.
     */
    static final String CUSTOM_PLANS_STATEMENT_TIMEOUT = "30s";

    /** The settings of the main pool and of the event hub's connection; see {@link #pool()}. */
    public static final Map<String, String> KEYED_STATEMENTS = Map.of(
            "plan_cache_mode", "force_generic_plan", "enable_seqscan", "off");

    private final DatabaseAddress address;
    private final ConnectionPool pool;
    private final ConnectionPool customPlans;

    private Database(DatabaseAddress address, ConnectionPool pool, ConnectionPool customPlans) {
        this.address = address;
        this.pool = pool;
        this.customPlans = customPlans;
    }

    /** Migrates the schema (blocking; at start-up only), then opens the pools. */
    public static Database open(DatabaseAddress address, int poolSize) {
        Objects.requireNonNull(address, "address must not be null");
        migrate(address);
        ConnectionPool pool = pool("runplane", configuration(address, "runplane", KEYED_STATEMENTS), poolSize);
        ConnectionPool customPlans = pool("runplane-custom-plans", configuration(address, "runplane-custom-plans",
                Map.of("plan_cache_mode", "force_custom_plan", "statement_timeout", CUSTOM_PLANS_STATEMENT_TIMEOUT)),
                customPlanPoolSize(poolSize));
        return new Database(address, pool, customPlans);
    }

    /** Searches, the reaper and metrics need fewer connections than the request path: half, at least 2. */
    private static int customPlanPoolSize(int poolSize) {
        return Math.max(2, poolSize / 2);
    }

    private static ConnectionPool pool(String name, PostgresqlConnectionConfiguration configuration, int size) {
        return new ConnectionPool(ConnectionPoolConfiguration.builder(new PostgresqlConnectionFactory(configuration))
                .name(name)
                .initialSize(Math.min(2, size))
                .minIdle(Math.min(2, size))
                .maxSize(size)
                .maxAcquireTime(Duration.ofSeconds(2))
                .acquireRetry(1)
                .maxCreateConnectionTime(Duration.ofSeconds(2))
                .maxValidationTime(Duration.ofSeconds(1))
                .validationDepth(ValidationDepth.LOCAL)
                .maxIdleTime(Duration.ofMinutes(10))
                .backgroundEvictionInterval(Duration.ofSeconds(30))
                .build());
    }

    /** Applies the versioned SQL files; Flyway's advisory lock makes concurrent replicas safe. */
    public static void migrate(DatabaseAddress address) {
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
        return new PostgresqlConnectionFactory(configuration(address, applicationName, KEYED_STATEMENTS));
    }

    /** The settings of every connection: the pools' and the event hub's, plus session settings. */
    private static PostgresqlConnectionConfiguration configuration(DatabaseAddress address, String applicationName,
                                                                   Map<String, String> settings) {
        return PostgresqlConnectionConfiguration.builder()
                .options(settings)
                .codecRegistrar(TimestampCodec.REGISTRAR)
                .host(address.host())
                .port(address.port())
                .database(address.database())
                .username(address.user())
                .password(address.password())
                .applicationName(applicationName)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /**
     * The main pool, for statements that find their rows by key through an index: inserts, claims
     * (through the queue index), transitions by id, event reads. Its connections always use
     * PostgreSQL's generic plan for a prepared statement (no planning per execution: planning was
     * 13% of PostgreSQL's CPU in WorkerBenchmark) and never choose a sequential scan. Without the
     * second setting, a generic plan made while a table was small joins it by a sequential scan and
     * keeps doing so as the table grows, until the table is analyzed again: measured in
     * WorkerBenchmark, the batched Complete then read 140 buffers per completed execution at 40,000
     * rows, against 44 with its index. (Hash and merge joins stay allowed: the statements join their
     * own small CTEs by hashing, and turning that off made them quadratic.)
     */
    public ConnectionPool pool() {
        return this.pool;
    }

    /**
     * A pool whose connections plan every statement for its actual values
     * ({@code plan_cache_mode = force_custom_plan}), sequential scans allowed: for statements whose
     * best plan depends on their values, such as searches (measured with 20,000 rows, the generic
     * plan of {@code labels @> $1} walked the whole create_time index, 15 ms and linear in the
     * table, instead of reading the 19 matching rows from the GIN index, 0.2 ms), the reaper's sweep
     * and the metrics' counts. Each statement may run {@link #CUSTOM_PLANS_STATEMENT_TIMEOUT} at most.
     */
    public ConnectionPool customPlans() {
        return this.customPlans;
    }

    public DatabaseAddress address() {
        return this.address;
    }

    @Override
    public void close() {
        pool.dispose();
        customPlans.dispose();
    }
}
