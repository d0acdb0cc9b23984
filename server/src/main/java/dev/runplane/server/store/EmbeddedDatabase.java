package dev.runplane.server.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server started from the jar, on a data directory that persists across restarts.
 *
 * <p>Three things the embedded library does not do for a server (see TOOLCHAIN.md): it is made
 * durable (fsync and synchronous_commit back on), a second server on the same directory is refused
 * (a file lock that the OS releases when the process dies, even by SIGKILL), and a postmaster
 * orphaned by a killed server is stopped before a new one starts.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private static final Duration ORPHAN_STOP_WAIT = Duration.ofSeconds(15);

    private final EmbeddedPostgres postgres;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private EmbeddedDatabase(EmbeddedPostgres postgres, FileChannel lockChannel, FileLock lock) {
        this.postgres = postgres;
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
                throw new IllegalStateException("Another Runplane server is using the data directory "
                        + dataDir.toAbsolutePath() + "; stop it, or start this one with another --data-dir.");
            }
            Path pgData = dataDir.resolve("postgres");
            stopOrphanedPostmaster(pgData);
            Path socketDir = Files.createTempDirectory("runplane-pg");
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(pgData)
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(Duration.ofSeconds(30))
                    .setServerConfig("unix_socket_directories", socketDir.toString())
                    .setServerConfig("max_connections", "200");
            if (durable) {
                builder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
                        .setServerConfig("full_page_writes", "on");
            }
            settings.forEach(builder::setServerConfig);
            EmbeddedPostgres postgres = builder.start();
            log.info("Embedded PostgreSQL on 127.0.0.1:{}, data in {}", postgres.getPort(), pgData.toAbsolutePath());
            return new EmbeddedDatabase(postgres, channel, lock);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL in " + dataDir.toAbsolutePath(), e);
        }
    }

    /**
     * A server killed with SIGKILL leaves its postmaster running, holding the data directory. Stop
     * it (SIGINT is PostgreSQL's fast shutdown), wait for it to go, and only then force it.
     */
    static void stopOrphanedPostmaster(Path pgData) throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile);
        if (lines.isEmpty()) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(lines.get(0).trim());
        } catch (NumberFormatException e) {
            return;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        if (process.isEmpty()) {
            return; // a stale pid file: PostgreSQL recovers from it by itself
        }
        log.warn("Stopping PostgreSQL (pid {}) left running on {} by a server that did not stop cleanly", pid, pgData);
        signal(pid, "INT");
        if (!process.get().onExit().completeOnTimeout(null, ORPHAN_STOP_WAIT.toSeconds(), TimeUnit.SECONDS)
                .thenApply(p -> p != null).join()) {
            log.warn("PostgreSQL pid {} did not stop within {}; killing it", pid, ORPHAN_STOP_WAIT);
            process.get().destroyForcibly();
            process.get().onExit().join();
        }
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

    @Override
    public void close() {
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
}
