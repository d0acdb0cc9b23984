package dev.runplane.server.testing;

import dev.runplane.server.store.db.DatabaseAddress;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL per test JVM (the embedded one, with its fast non-durable defaults), and a
 * fresh empty database for each test class that asks, so tests never see each other's rows.
 */
public final class TestPostgres {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgres postgres;

    private TestPostgres() {
    }

    private static synchronized EmbeddedPostgres server() {
        if (postgres == null) {
            try {
                postgres = EmbeddedPostgres.builder().setServerConfig("max_connections", "300").start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    postgres.close();
                } catch (IOException ignored) {
                    // the JVM is going away
                }
            }));
        }
        return postgres;
    }

    /** A new, empty database (the server's migrations create the schema). */
    public static DatabaseAddress newDatabase() {
        String name = "test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name, e);
        }
        return new DatabaseAddress("127.0.0.1", server().getPort(), name, "postgres", "");
    }

    /** The R2DBC URL of an address, as --database-url takes it. */
    public static String url(DatabaseAddress address) {
        return "r2dbc:postgresql://" + address.user() + "@" + address.host() + ":" + address.port() + "/"
                + address.database();
    }

    /** A JDBC connection for assertions that read the tables directly. */
    public static Connection jdbc(DatabaseAddress address) throws SQLException {
        return java.sql.DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password());
    }
}
