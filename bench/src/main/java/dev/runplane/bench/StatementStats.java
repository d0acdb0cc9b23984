package dev.runplane.bench;

import dev.runplane.server.store.db.DatabaseAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Where PostgreSQL spends its time, from pg_stat_statements (the server must preload it): per
 * statement and per executed execution, calls, rows, buffers touched, WAL bytes written, and
 * planning and execution time in microseconds, so that phases of any size compare. The times are
 * wall-clock: on a machine short of CPU they include waiting for it.
 */
final class StatementStats {

    private StatementStats() {
    }

    /** Zeroes the counters; returns the WAL position to read the phase's WAL from ({@link #print}). */
    static String reset(DatabaseAddress address) throws SQLException {
        try (Connection c = connect(address); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect");
            s.execute("SELECT pg_stat_statements_reset()");
            s.execute("SELECT pg_stat_reset_shared('wal')");
            s.execute("SELECT pg_stat_reset()");
            try (ResultSet r = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                r.next();
                return r.getString(1);
            }
        }
    }

    static void print(DatabaseAddress address, int executions, String walStart) throws SQLException {
        String sql = """
                SELECT calls, rows, total_plan_time, total_exec_time, shared_blks_hit + shared_blks_read AS blocks,
                       wal_bytes,
                       left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query
                FROM pg_stat_statements
                WHERE query NOT LIKE '%pg_stat_statements%'
                ORDER BY total_plan_time + total_exec_time DESC LIMIT 12
                """;
        double plan = 0, exec = 0;
        System.out.printf("  %9s %9s %9s %9s %9s %9s  %s%n", "calls/ex", "rows/ex", "blocks/ex", "WAL B/ex",
                "plan µs", "exec µs", "statement (figures per executed execution)");
        try (Connection c = connect(address); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                double p = r.getDouble("total_plan_time") * 1000 / executions;
                double e = r.getDouble("total_exec_time") * 1000 / executions;
                plan += p;
                exec += e;
                System.out.printf("  %9.3f %9.3f %9.1f %9.0f %9.1f %9.1f  %s%n", r.getDouble("calls") / executions,
                        r.getDouble("rows") / executions, r.getDouble("blocks") / executions,
                        r.getDouble("wal_bytes") / executions, p, e, r.getString("query"));
            }
        }
        System.out.printf("  top statements: plan %.1f µs + exec %.1f µs per executed execution%n", plan, exec);
        String totals = "SELECT (SELECT wal_bytes FROM pg_stat_wal) AS wal_bytes, (SELECT wal_fpi FROM pg_stat_wal) AS fpi,"
                + " (SELECT wal_sync FROM pg_stat_wal) AS syncs, (SELECT sum(xact_commit) FROM pg_stat_database) AS commits";
        try (Connection c = connect(address); Statement s = c.createStatement(); ResultSet r = s.executeQuery(totals)) {
            r.next();
            System.out.printf("  WAL %.0f bytes, %.3f full-page images, %.3f WAL syncs, %.2f commits per executed execution%n",
                    r.getDouble("wal_bytes") / executions, r.getDouble("fpi") / executions,
                    r.getDouble("syncs") / executions, r.getDouble("commits") / executions);
        }
        // Which indexes of executions the statements read, and how much: a plan that changed shows here.
        String indexes = "SELECT indexrelname, idx_scan, idx_tup_read FROM pg_stat_user_indexes"
                + " WHERE relname = 'executions' AND idx_scan > 0 ORDER BY idx_tup_read DESC LIMIT 5";
        StringBuilder line = new StringBuilder("  index entries read per executed execution:");
        try (Connection c = connect(address); Statement s = c.createStatement(); ResultSet r = s.executeQuery(indexes)) {
            while (r.next()) {
                line.append(String.format(" %s %.1f (%.3f scans)", r.getString(1), r.getDouble(3) / executions,
                        r.getDouble(2) / executions));
            }
        }
        System.out.println(line);
        printWalByRelation(address, executions, walStart);
    }

    /**
     * The phase's WAL by the relation it changed (pg_walinspect, this database's relations only),
     * per executed execution: which tables and indexes the bytes go to. A record that changes blocks
     * of several relations (an index page split) counts once for each; its own header and main data
     * are left out, so the bytes are those of the changed tuples and full-page images.
     */
    private static void printWalByRelation(DatabaseAddress address, int executions, String walStart)
            throws SQLException {
        String sql = """
                SELECT coalesce(c.relname, b.relfilenode::text) AS relation, count(DISTINCT b.start_lsn) AS records,
                       sum(b.block_data_length + b.block_fpi_length) AS bytes
                FROM pg_get_wal_block_info(?::pg_lsn, pg_current_wal_insert_lsn()) b
                LEFT JOIN pg_class c ON c.relfilenode = b.relfilenode
                WHERE b.reldatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
                GROUP BY 1 ORDER BY 3 DESC LIMIT 16
                """;
        StringBuilder line = new StringBuilder("  WAL by relation per executed execution (records, bytes):");
        try (Connection c = connect(address); var s = c.prepareStatement(sql)) {
            s.setString(1, walStart);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    line.append(String.format("%n    %-40s %6.2f %6.0f", r.getString(1),
                            r.getDouble(2) / executions, r.getDouble(3) / executions));
                }
            }
        }
        System.out.println(line);
    }

    private static Connection connect(DatabaseAddress address) throws SQLException {
        return DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password());
    }
}
