package dev.runplane.server.store.db;

import io.r2dbc.spi.ConnectionFactoryOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Where PostgreSQL is: parsed from an R2DBC URL ({@code r2dbc:postgresql://user:password@host:port/db}),
 * and turned into the JDBC URL that the migration tool needs.
 */
public record DatabaseAddress(String host, int port, String database, String user, String password) {

    public DatabaseAddress {
        if (password == null) {
            password = "";
        }
    }

    public static DatabaseAddress parse(String r2dbcUrl) {
        ConnectionFactoryOptions options;
        try {
            options = ConnectionFactoryOptions.parse(r2dbcUrl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--database-url must look like "
                    + "r2dbc:postgresql://user:password@host:5432/database (" + e.getMessage() + ")", e);
        }
        Object driver = options.getValue(ConnectionFactoryOptions.DRIVER);
        if (!"postgresql".equals(driver) && !"postgres".equals(driver)) {
            throw new IllegalArgumentException("--database-url must use the postgresql driver: r2dbc:postgresql://...");
        }
        Object port = options.getValue(ConnectionFactoryOptions.PORT);
        Object database = options.getValue(ConnectionFactoryOptions.DATABASE);
        Object user = options.getValue(ConnectionFactoryOptions.USER);
        Object password = options.getValue(ConnectionFactoryOptions.PASSWORD);
        return new DatabaseAddress(
                String.valueOf(options.getRequiredValue(ConnectionFactoryOptions.HOST)),
                port == null ? 5432 : Integer.parseInt(String.valueOf(port)),
                database == null ? "postgres" : String.valueOf(database),
                user == null ? "postgres" : String.valueOf(user),
                password == null ? "" : String.valueOf(password));
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
    }

    /** The address without its password, for logs. */
    @Override
    public String toString() {
        return "postgresql://" + user + "@" + host + ":" + port + "/" + database;
    }
}
