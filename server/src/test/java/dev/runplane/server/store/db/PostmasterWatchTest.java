package dev.runplane.server.store.db;

import dev.runplane.server.testing.Eventually;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parts of the restart watch that need no PostgreSQL (EmbeddedDatabaseRecoveryTest kills a real one). */
class PostmasterWatchTest {

    @Test
    void backoffDoublesFromHalfASecondToTenSeconds() {
        assertEquals(List.of(500L, 1_000L, 2_000L, 4_000L, 8_000L, 10_000L, 10_000L, 10_000L),
                IntStream.rangeClosed(1, 8).mapToObj(n -> PostmasterWatch.backoff(n).toMillis()).toList());
        assertEquals(Duration.ofSeconds(10), PostmasterWatch.backoff(1_000), "no overflow after many failures");
    }

    /**
     * A dead postmaster that nobody has reaped is a zombie: alive to ProcessHandle (and to
     * PostgreSQL's kill(pid, 0), which then refuses to start), dead to the watch, which removes the
     * lock files that name it and keeps those of a running process.
     */
    @Test
    void aZombieIsNotARunningPostmasterAndItsLockFilesAreStale(@TempDir Path dir) throws Exception {
        // The child exits at once; its parent (the exec'd sleep) never waits for it: a zombie for 10 s.
        Process parent = new ProcessBuilder("sh", "-c", "sleep 0 & echo $!; exec sleep 10").start();
        try {
            long pid;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(),
                    StandardCharsets.UTF_8))) {
                pid = Long.parseLong(out.readLine().trim());
            }
            ProcessHandle zombie = ProcessHandle.of(pid).orElseThrow();
            Eventually.await(Duration.ofSeconds(5), "the child became a zombie",
                    () -> Files.readString(Path.of("/proc", Long.toString(pid), "stat")).contains(") Z "));
            assertTrue(zombie.isAlive(), "ProcessHandle counts a zombie as alive");
            assertFalse(Postmaster.running(zombie));
            assertTrue(Postmaster.running(ProcessHandle.current()));

            Path zombies = dir.resolve(".s.PGSQL.5432.lock");
            Files.writeString(zombies, pid + "\n/data\n");
            assertTrue(Postmaster.removeIfStale(zombies));
            assertFalse(Files.exists(zombies));
            Path live = dir.resolve("postmaster.pid");
            Files.writeString(live, ProcessHandle.current().pid() + "\n/data\n");
            assertFalse(Postmaster.removeIfStale(live));
            assertTrue(Files.exists(live), "a running process's lock file is kept");
            assertFalse(Postmaster.removeIfStale(dir.resolve("absent.lock")));
        } finally {
            parent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void pgCtlIsBesideThePostgresBinaryThatPostmasterOptsNames(@TempDir Path pgData) throws Exception {
        Files.writeString(pgData.resolve("postmaster.opts"),
                "/tmp/embedded pg/PG-1/bin/postgres \"-D\" \"/data\" \"-p\" \"5432\" \"-c\" \"fsync=on\"\n");
        assertEquals(Path.of("/tmp/embedded pg/PG-1/bin/pg_ctl"), PostmasterWatch.pgCtlOf(pgData));
    }

    @Test
    void noPidFileNamesNoPostmaster(@TempDir Path pgData) throws Exception {
        assertTrue(Postmaster.named(pgData).isEmpty());
        Files.writeString(Postmaster.pidFile(pgData), "");
        assertTrue(Postmaster.named(pgData).isEmpty(), "an empty file, as a starting postmaster leaves it briefly");
        Files.writeString(Postmaster.pidFile(pgData), ProcessHandle.current().pid() + "\n/data\n");
        assertEquals(ProcessHandle.current().pid(), Postmaster.named(pgData).orElseThrow().pid());
    }
}
