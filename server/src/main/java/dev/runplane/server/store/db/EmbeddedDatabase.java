package dev.runplane.server.store.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server started from the jar, on a data directory that persists across restarts.
 *
 * <p>Five things the embedded library does not do for a server (see TOOLCHAIN.md): it is made
 * durable (fsync and synchronous_commit back on), a second server on the same directory is refused
 * (a file lock that the OS releases when the process dies, even by SIGKILL), a postmaster orphaned
 * by a killed server is stopped before a new one starts, a postmaster that dies while the server
 * runs is restarted ({@link PostmasterWatch}), and the output of initdb, pg_ctl and PostgreSQL goes
 * to {@code postgres.log} in the data directory instead of the console (the library logs each of
 * its lines at INFO: 55 lines before the server's first).
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private static final Duration ORPHAN_STOP_WAIT = Duration.ofSeconds(15);
    /** initdb's, pg_ctl's and PostgreSQL's own output, in the data directory (beside postgres/). */
    static final String LOG_FILE = "postgres.log";

    private final EmbeddedPostgres postgres;
    private final PostmasterWatch watch;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private EmbeddedDatabase(EmbeddedPostgres postgres, PostmasterWatch watch, FileChannel lockChannel,
                             FileLock lock) {
        this.postgres = postgres;
        this.watch = watch;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Starts PostgreSQL on {@code dataDir/postgres}.
     *
     * @param durable false only for tests: keeps the library's fast, non-durable settings
     */
    public static EmbeddedDatabase start(Path dataDir, boolean durable) {
        return start(dataDir, durable, Map.of());
    }

    /**
     * Starts PostgreSQL with extra server settings on top of the ones above (benchmarks load
     * pg_stat_statements this way).
     */
    public static EmbeddedDatabase start(Path dataDir, boolean durable, Map<String, String> settings) {
        try {
            Files.createDirectories(dataDir);
            FileChannel channel = FileChannel.open(dataDir.resolve("runplane.lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw new DataDirectoryInUseException("Another Runplane server is using the data directory "
                        + dataDir.toAbsolutePath() + "; stop it, or start this one with another --data-dir.");
            }
            try {
                return start(dataDir, durable, settings, channel, lock);
            } catch (IOException | RuntimeException e) {
                lock.release();
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL in " + dataDir.toAbsolutePath(), e);
        }
    }

    private static EmbeddedDatabase start(Path dataDir, boolean durable, Map<String, String> settings,
                                          FileChannel channel, FileLock lock) throws IOException {
        Path pgData = dataDir.resolve("postgres");
        Path logFile = dataDir.resolve(LOG_FILE);
        boolean fresh = !Files.exists(pgData.resolve("PG_VERSION"));
        stopOrphanedPostmaster(pgData);
        Path socketDir = Files.createTempDirectory("runplane-pg");
        ProcessBuilder.Redirect toLog = ProcessBuilder.Redirect.appendTo(logFile.toFile());
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(pgData)
                .setCleanDataDirectory(false)
                // Its own shutdown hook would stop PostgreSQL at once on SIGTERM, beside the launcher's
                // hook that drains calls first (they then failed), and the watch would take that stop for
                // a death and restart PostgreSQL behind the stop. Whoever starts this closes it: the
                // launcher's hook (Application.close, PostgreSQL last), or the test or benchmark.
                .setRegisterShutdownHook(false)
                .setPGStartupWait(Duration.ofSeconds(30))
                .setOutputRedirector(toLog)
                .setErrorRedirector(toLog)
                .setServerConfig("unix_socket_directories", socketDir.toString())
                .setServerConfig("max_connections", "200");
        if (durable) {
            builder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on");
        }
        settings.forEach(builder::setServerConfig);
        EmbeddedPostgres postgres = builder.start();
        PostmasterWatch watch;
        try {
            watch = PostmasterWatch.start(pgData, logFile,
                    socketDir.resolve(".s.PGSQL." + postgres.getPort() + ".lock"));
        } catch (RuntimeException e) {
            postgres.close();
            throw e;
        }
        log.info("Embedded PostgreSQL {} on 127.0.0.1:{}, data in {} ({}; its log: {})",
                Files.readString(pgData.resolve("PG_VERSION")).strip(), postgres.getPort(), pgData.toAbsolutePath(),
                fresh ? "created now" : "existing", logFile.toAbsolutePath());
        return new EmbeddedDatabase(postgres, watch, channel, lock);
    }

    /**
     * A server killed with SIGKILL leaves its postmaster running, holding the data directory. Stop
     * it (SIGINT is PostgreSQL's fast shutdown), wait for it to go, and only then force it.
     */
    static void stopOrphanedPostmaster(Path pgData) throws IOException {
        Optional<ProcessHandle> named = Postmaster.named(pgData);
        if (named.isPresent() && !Postmaster.running(named.get())) {
            // A zombie's: PostgreSQL would take it for a live postmaster (its kill(pid, 0) succeeds).
            Postmaster.removeIfStale(Postmaster.pidFile(pgData));
            return;
        }
        Optional<ProcessHandle> process = named
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        if (process.isEmpty()) {
            return; // a stale pid file: PostgreSQL recovers from it by itself
        }
        long pid = process.get().pid();
        log.warn("Stopping PostgreSQL (pid {}) left running on {} by a server that did not stop cleanly", pid, pgData);
        signal(pid, "INT");
        if (!awaitStopped(process.get(), ORPHAN_STOP_WAIT)) {
            log.warn("PostgreSQL pid {} did not stop within {}; killing it", pid, ORPHAN_STOP_WAIT);
            process.get().destroyForcibly();
            awaitStopped(process.get(), ORPHAN_STOP_WAIT);
        }
    }

    /**
     * Polls (with a deadline) rather than {@link ProcessHandle#onExit()}, which never completes for a
     * zombie: a stopped orphan's parent is init, which may reap it late or never.
     */
    private static boolean awaitStopped(ProcessHandle process, Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (Postmaster.running(process)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(50); // polling the process with a deadline (start-up, on the launcher's thread)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while stopping pid " + process.pid(), e);
            }
        }
        return true;
    }

    private static void signal(long pid, String signal) throws IOException {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping pid " + pid, e);
        }
    }

    public DatabaseAddress address() {
        return new DatabaseAddress("127.0.0.1", postgres.getPort(), "postgres", "postgres", "");
    }

    /** Stops the restart watch first (a restart in progress finishes), then PostgreSQL. */
    @Override
    public void close() {
        watch.close();
        try {
            postgres.close();
        } catch (IOException e) {
            log.warn("Embedded PostgreSQL did not stop cleanly", e);
        } finally {
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                log.debug("Could not release the data directory lock", e);
            }
        }
    }

    /** Another server holds the data directory; the message says what to do. */
    public static final class DataDirectoryInUseException extends IllegalStateException {
        DataDirectoryInUseException(String message) {
            super(message);
        }
    }
}
