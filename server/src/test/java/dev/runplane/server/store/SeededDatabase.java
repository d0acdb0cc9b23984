package dev.runplane.server.store;

import dev.runplane.server.store.db.Database;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** A new database for a plan test: the schema, the rows the test inserts, and fresh statistics. */
final class SeededDatabase {

    private SeededDatabase() {
    }

    static DatabaseAddress with(String insertSql) throws SQLException {
        DatabaseAddress address = TestPostgres.newDatabase();
        Database.migrate(address);
        try (Connection c = TestPostgres.jdbc(address); Statement s = c.createStatement()) {
            s.execute(insertSql);
            s.execute("VACUUM ANALYZE executions");
        }
        return address;
    }
}
