package dev.runplane.bench;

import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

/**
 * The connections that servers hold to the benchmark's database, by application_name
 * (runplane, runplane-custom-plans, runplane-event-hub): what "a fixed number of connections"
 * is measured with.
 */
final class DatabaseConnections {

    private DatabaseConnections() {
    }

    /** Every connection to the current database but the one asking. */
    static Map<String, Long> count(Statement sql) throws Exception {
        Map<String, Long> byName = new TreeMap<>();
        try (ResultSet rs = sql.executeQuery("SELECT application_name, count(*) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1")) {
            while (rs.next()) {
                byName.put(rs.getString(1), rs.getLong(2));
            }
        }
        return byName;
    }

    /** Keeps in {@code most} the largest count seen of each name. */
    static void keepMost(Map<String, Long> most, Map<String, Long> now) {
        now.forEach((name, n) -> most.merge(name, n, Math::max));
    }

    /** "5 {runplane=2, ...}": the total, then by name. */
    static String total(Map<String, Long> byName) {
        return byName.values().stream().mapToLong(Long::longValue).sum() + " " + byName;
    }
}
