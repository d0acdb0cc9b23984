package dev.runplane.server.store.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The PostgreSQL postmaster that a data directory's {@code postmaster.pid} names (its first line is
 * the pid, also when the embedded library runs it under {@code unshare -U}: that is a user
 * namespace, not a pid namespace).
 */
final class Postmaster {

    private Postmaster() {
    }

    /** The process that postmaster.pid names, if the file is there and readable (running or not). */
    static Optional<ProcessHandle> named(Path pgData) {
        return ownerOf(pidFile(pgData));
    }

    /**
     * The process that a PostgreSQL lock file names in its first line: postmaster.pid, or the
     * {@code .s.PGSQL.PORT.lock} beside a Unix socket.
     */
    static Optional<ProcessHandle> ownerOf(Path lockFile) {
        List<String> lines;
        try {
            lines = Files.readAllLines(lockFile);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // being written by a starting postmaster: as good as absent
        }
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        try {
            return ProcessHandle.of(Long.parseLong(lines.get(0).trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Deletes a lock file whose owner does not run. PostgreSQL removes such a file itself only when
     * its pid is gone: while the dead postmaster is an unreaped zombie, its {@code kill(pid, 0)}
     * succeeds and it refuses to start ("lock file ... already exists").
     *
     * @return whether the file was there and stale
     */
    static boolean removeIfStale(Path lockFile) throws IOException {
        if (!Files.exists(lockFile)) {
            return false;
        }
        Optional<ProcessHandle> owner = ownerOf(lockFile);
        if (owner.isPresent() && running(owner.get())) {
            return false;
        }
        return Files.deleteIfExists(lockFile);
    }

    static Path pidFile(Path pgData) {
        return pgData.resolve("postmaster.pid");
    }

    /**
     * Alive and not a zombie. A killed postmaster's parent is init (pg_ctl exits after starting it),
     * and an init that reaps late, or a JVM that runs as pid 1 and never reaps, leaves a zombie for
     * which {@link ProcessHandle#isAlive()} (and PostgreSQL's own {@code kill(pid, 0)}) still says yes.
     */
    static boolean running(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            // "pid (command) S ...": the state follows the last ')', which a command may contain too.
            int state = stat.lastIndexOf(')') + 2;
            return state >= stat.length() || stat.charAt(state) != 'Z';
        } catch (NoSuchFileException e) {
            return false; // gone in between
        } catch (IOException e) {
            return true; // no /proc to ask: trust isAlive
        }
    }
}
