package dev.runplane.server.store.db;

import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarts the embedded PostgreSQL when its postmaster dies (a SIGKILL, the OOM killer): the server
 * owns that database, so nobody else would. The restart is {@code pg_ctl restart} on the same data
 * directory, which starts the postmaster with the options that it last ran with (its
 * {@code postmaster.opts}: the same port, so the pools' address stays valid, and the same durable
 * settings); PostgreSQL's crash recovery then replays its log, and the server's database watch
 * turns health SERVING again when it answers.
 *
 * <p>Everything runs on one thread of its own: checks, restarts and the back-off between failed
 * restarts (0.5 s doubling to 10 s), so two restarts never run at once, and a restart (blocking: it
 * waits for pg_ctl) never holds a gRPC, Netty or Reactor thread. {@link #close()} lets a restart in
 * progress finish before the caller stops PostgreSQL, so a stop never races a start.
 */
final class PostmasterWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PostmasterWatch.class);
    /** Reading /proc every half second costs nothing; death is noticed within that. */
    static final Duration CHECK_INTERVAL = Duration.ofMillis(500);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
    /** How long pg_ctl may wait for the postmaster to be ready (crash recovery included). */
    private static final Duration START_WAIT = Duration.ofSeconds(60);

    private final Path pgData;
    private final Path logFile;
    private final Path socketLock;
    private final Path pgCtl;
    private final ScheduledThreadPoolExecutor thread;
    private volatile boolean stopping;
    /** The running postmaster; read and written on the watch's thread only. */
    private ProcessHandle postmaster;
    /** Failed restarts since the postmaster died; the watch's thread only. */
    private int failures;
    private long diedAtNanos;

    private PostmasterWatch(Path pgData, Path logFile, Path socketLock, Path pgCtl, ProcessHandle postmaster) {
        this.pgData = pgData;
        this.logFile = logFile;
        this.socketLock = socketLock;
        this.pgCtl = pgCtl;
        this.postmaster = postmaster;
        this.thread = new ScheduledThreadPoolExecutor(1, task -> {
            Thread t = new Thread(task, "runplane-postgres-watch");
            t.setDaemon(true);
            return t;
        });
        // A stop drops the next check or back-off at once; only a restart in progress is waited for.
        this.thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.thread.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }

    /**
     * Watches the postmaster that runs on {@code pgData} now; restarts append pg_ctl's and the new
     * postmaster's output to {@code logFile}.
     *
     * @param socketLock the lock file of the postmaster's Unix socket ({@code DIR/.s.PGSQL.PORT.lock})
     */
    static PostmasterWatch start(Path pgData, Path logFile, Path socketLock) {
        ProcessHandle postmaster = Postmaster.named(pgData).filter(Postmaster::running)
                .orElseThrow(() -> new IllegalStateException("no postmaster runs on " + pgData));
        PostmasterWatch watch = new PostmasterWatch(pgData, logFile, socketLock, pgCtlOf(pgData), postmaster);
        watch.schedule(watch::check, CHECK_INTERVAL);
        return watch;
    }

    /**
     * pg_ctl beside the postgres binary that postmaster.opts names: its first word up to the first
     * quoted argument (the path itself is written unquoted, and may contain spaces).
     */
    static Path pgCtlOf(Path pgData) {
        String opts;
        try {
            opts = Files.readString(pgData.resolve("postmaster.opts")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pgData.resolve("postmaster.opts"), e);
        }
        int quote = opts.indexOf(" \"");
        Path postgres = Path.of(quote < 0 ? opts : opts.substring(0, quote));
        return postgres.resolveSibling("pg_ctl");
    }

    /** The delay after the {@code failures}-th failed restart in a row: 0.5 s, 1 s, 2 s, ... 10 s. */
    static Duration backoff(int failures) {
        int doublings = Math.min(Math.max(failures - 1, 0), 10);
        Duration delay = FIRST_BACKOFF.multipliedBy(1L << doublings);
        return delay.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : delay;
    }

    private void check() {
        if (stopping) {
            return;
        }
        if (Postmaster.running(postmaster)) {
            schedule(this::check, CHECK_INTERVAL);
            return;
        }
        diedAtNanos = System.nanoTime();
        log.warn("Embedded PostgreSQL (pid {}) has died; restarting it on {} (PostgreSQL's crash recovery "
                + "replays its log); calls answer UNAVAILABLE meanwhile", postmaster.pid(), pgData.toAbsolutePath());
        restart();
    }

    private void restart() {
        if (stopping) {
            return; // the stop that follows ends whatever runs
        }
        String outcome;
        try {
            outcome = tryRestart();
        } catch (IOException | RuntimeException e) {
            outcome = e.toString();
        }
        if (outcome == null) {
            log.info("Embedded PostgreSQL restarted (pid {}) after {} ms and {} attempt(s); health SERVING "
                            + "again once it answers", postmaster.pid(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - diedAtNanos), failures + 1);
            failures = 0;
            schedule(this::check, CHECK_INTERVAL);
            return;
        }
        failures++;
        Duration delay = backoff(failures);
        log.warn("Restart {} of the embedded PostgreSQL failed ({}; details in {}); next attempt in {} ms",
                failures, outcome, logFile.toAbsolutePath(), delay.toMillis());
        schedule(this::restart, delay);
    }

    /** One attempt: null when a postmaster runs again, else what went wrong. */
    private String tryRestart() throws IOException {
        var named = Postmaster.named(pgData);
        if (named.isPresent() && Postmaster.running(named.get())) {
            postmaster = named.get(); // started meanwhile (by an attempt that timed out): keep it
            return null;
        }
        // The dead postmaster's lock files make PostgreSQL refuse to start while it is a zombie (an
        // init that reaps late, or never). Its shared memory is still checked: while a backend of
        // the dead postmaster is attached, the new one refuses, and the next attempt tries again.
        Postmaster.removeIfStale(Postmaster.pidFile(pgData));
        Postmaster.removeIfStale(socketLock);
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            command.addAll(List.of("unshare", "-U")); // as the embedded library runs it as root
        }
        command.addAll(List.of(pgCtl.toString(), "restart", "-D", pgData.toString(), "-w",
                "-t", Long.toString(START_WAIT.toSeconds()), "-m", "fast"));
        Process pgCtlRun = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        try {
            if (!pgCtlRun.waitFor(START_WAIT.toSeconds() + 10, TimeUnit.SECONDS)) {
                pgCtlRun.destroyForcibly();
                return "pg_ctl did not finish within " + START_WAIT.toSeconds() + " s";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        if (pgCtlRun.exitValue() != 0) {
            return "pg_ctl exited with " + pgCtlRun.exitValue();
        }
        named = Postmaster.named(pgData);
        if (named.isEmpty() || !Postmaster.running(named.get())) {
            return "pg_ctl succeeded but no postmaster runs";
        }
        postmaster = named.get();
        return null;
    }

    private void schedule(Runnable task, Duration delay) {
        if (stopping) {
            return;
        }
        try {
            thread.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // a stop began in between: nothing more to watch
        }
    }

    /** No check or restart after this returns; a restart in progress has finished. */
    @Override
    public void close() {
        stopping = true;
        thread.shutdown();
        try {
            if (!thread.awaitTermination(START_WAIT.toSeconds() + 20, TimeUnit.SECONDS)) {
                log.warn("A restart of the embedded PostgreSQL is still running; stopping anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
