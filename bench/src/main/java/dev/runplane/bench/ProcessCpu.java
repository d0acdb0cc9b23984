package dev.runplane.bench;

import dev.runplane.server.store.db.DatabaseAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Stream;

/**
 * CPU time of processes, read from Linux's /proc: on a 2-core machine where both sides are short of
 * CPU, the CPU that one execution costs (the database's and the JVM's) says which side the time goes
 * to, which throughput alone does not. Elsewhere (no /proc) every reading is -1 and nothing is
 * printed.
 */
final class ProcessCpu {

    /** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux this runs on). */
    private static final double TICKS_PER_SECOND = 100;

    private ProcessCpu() {
    }

    /**
     * Seconds of CPU used by a PostgreSQL server: the postmaster, its live children (backends, the
     * WAL writer, ...) and the children that have exited (counted in the postmaster's cutime/cstime).
     */
    static double postgres(long postmasterPid) {
        // A child reaped while its siblings are being read would count nowhere (or twice): read
        // again until the postmaster's reaped-children time is the same before and after.
        for (int attempt = 0; attempt < 20; attempt++) {
            long[] before = stat(postmasterPid);
            long children = liveChildrenTicks(postmasterPid);
            long[] after = stat(postmasterPid);
            if (before == null || after == null || children < 0) {
                return -1;
            }
            if (before[3] == after[3] && before[4] == after[4]) {
                return (after[1] + after[2] + after[3] + after[4] + children) / TICKS_PER_SECOND;
            }
        }
        return -1;
    }

    private static long liveChildrenTicks(long parentPid) {
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            return processes.map(p -> p.getFileName().toString())
                    .filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(name -> stat(Long.parseLong(name)))
                    .filter(s -> s != null && s[0] == parentPid)
                    .mapToLong(s -> s[1] + s[2])
                    .sum();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Seconds of CPU used by one process (its own threads, not its children); -1 if unknown. */
    static double process(long pid) {
        long[] s = stat(pid);
        return s == null ? -1 : (s[1] + s[2]) / TICKS_PER_SECOND;
    }

    /** The parent of a process; -1 if unknown. */
    static long parent(long pid) {
        long[] s = stat(pid);
        return s == null ? -1 : s[0];
    }

    /** {ppid, utime, stime, cutime, cstime} of a process, or null if it is gone or there is no /proc. */
    private static long[] stat(long pid) {
        try {
            String line = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
            String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
            return new long[] {Long.parseLong(f[1]), Long.parseLong(f[11]), Long.parseLong(f[12]),
                    Long.parseLong(f[13]), Long.parseLong(f[14])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The benchmark's PostgreSQL server: where to connect, and its postmaster's process id. */
    record Cluster(DatabaseAddress address, long postmaster) {

        /** The database's CPU and WAL, and one JVM's CPU, now. */
        Reading read(long jvmPid) {
            return new Reading(postgres(postmaster), process(jvmPid), walBytes());
        }

        /**
         * WAL bytes the server has written since its start (pg_stat_wal, every database, autovacuum
         * included: the same for both sides); -1 if unknown.
         */
        private long walBytes() {
            try (Connection c = DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password());
                 Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT wal_bytes::bigint FROM pg_stat_wal")) {
                return r.next() ? r.getLong(1) : -1;
            } catch (SQLException e) {
                return -1;
            }
        }
    }

    /** CPU of the database and of one JVM, and the database's WAL bytes, at one instant. */
    record Reading(double postgres, double jvm, long wal) {

        /**
         * "PostgreSQL a µs + JVM b µs = c µs | WAL d bytes" per execution since {@code before}; empty
         * if unknown (the WAL part alone is left out when pg_stat_wal could not be read).
         */
        String perExecution(Reading before, int executions) {
            if (postgres < 0 || jvm < 0 || before.postgres < 0 || before.jvm < 0 || executions <= 0) {
                return "";
            }
            double pg = (postgres - before.postgres) / executions * 1e6;
            double vm = (jvm - before.jvm) / executions * 1e6;
            String walPart = wal < 0 || before.wal < 0 ? ""
                    : String.format(" | WAL per execution: %,d bytes", (wal - before.wal) / executions);
            return String.format(" | CPU per execution: PostgreSQL %.0f µs + JVM %.0f µs = %.0f µs%s",
                    pg, vm, pg + vm, walPart);
        }
    }
}
