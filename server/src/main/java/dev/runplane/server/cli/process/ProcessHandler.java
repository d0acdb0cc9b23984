package dev.runplane.server.cli.process;

import com.google.protobuf.Struct;
import dev.runplane.client.StructJson;
import dev.runplane.worker.Handler;
import dev.runplane.worker.Task;
import dev.runplane.worker.TaskFailure;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one OS process per execution: the inputs as JSON on stdin, the execution id and attempt in
 * environment variables, the outputs from a JSON object on stdout (the whole of it, or its last line
 * that is one). Exit code 0 Completes; any other Fails with the tail of stderr, retryable unless
 * {@code retryOnFailure} is off (the execution's max_attempts decides whether it runs again). Each
 * stderr line is also sent as the progress message. Each process runs in a process group of its own
 * that dies with this worker ({@link ProcessGroups}); Cancel (or a lost lease) sends SIGTERM to the
 * group, then SIGKILL after the grace period; whatever a process leaves running when it exits is
 * killed. Stdin, the trigger variables and stdout are JSON in {@link StructJson}'s form, the one
 * that the server stores (whole numbers as integers).
 */
public final class ProcessHandler implements Handler, AutoCloseable {

    private static final System.Logger log = System.getLogger(ProcessHandler.class.getName());

    static final int STDERR_TAIL = 4096;

    private final List<String> command;
    private final Duration killGrace;
    private final boolean retryOnFailure;
    private final ProcessGroups groups;

    public ProcessHandler(List<String> command, Duration killGrace, boolean retryOnFailure) {
        this.command = List.copyOf(command);
        this.killGrace = killGrace;
        this.retryOnFailure = retryOnFailure;
        this.groups = ProcessGroups.start();
        if (groups.warning() != null) {
            log.log(System.Logger.Level.WARNING, groups.warning());
        }
    }

    @Override
    public Struct handle(Task task) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(groups.command(command));
        builder.environment().put("RUNPLANE_EXECUTION_ID", task.id());
        builder.environment().put("RUNPLANE_ATTEMPT", Integer.toString(task.attempt()));
        builder.environment().put("RUNPLANE_PIPELINE", task.execution().getPipeline());
        if (task.execution().getTrigger().hasVariables()) {
            builder.environment().put("RUNPLANE_TRIGGER_VARIABLES",
                    json("trigger variables", task.execution().getTrigger().getVariables()));
        }
        String inputs = json("inputs", task.inputs()); // before the process starts: a refusal leaves none behind
        // Started from the worker's slot thread, which lives as long as the worker: the parent-death
        // signal follows the thread that started the process (ProcessGroups).
        Process process = builder.start();
        groups.started(process);
        Stop stop = new Stop(process);
        int exit;
        StderrTail stderr;
        CompletableFuture<String> stdout;
        try {
            task.onCancel(stop::begin);
            stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            stderr = new StderrTail(process.getErrorStream(), task);
            stderr.start();
            writeInputs(process, inputs);
            exit = process.waitFor();
        } finally {
            if (process.isAlive()) {
                groups.kill(process); // this handler is giving up on it (interrupted): it must not run on
            }
            groups.ended(process);
        }
        stderr.join(5_000);
        String out = stdout.get(5, TimeUnit.SECONDS);
        if (task.cancelRequested() || task.leaseLost()) {
            throw TaskFailure.permanent("cancelled: " + (stop.killedBySigkill(exit)
                    ? "the process was killed by SIGKILL after " + seconds(killGrace) + " (it outlived SIGTERM)"
                    : "the process was stopped (" + exitCode(exit) + ")"));
        }
        if (exit != 0) {
            String message = exitCode(exit) + "; stderr: " + stderr.tail();
            throw retryOnFailure ? TaskFailure.retryable(message) : TaskFailure.permanent(message);
        }
        return outputs(out);
    }

    /** Ends the watchdog of this handler's process groups: any process still running is killed. */
    @Override
    public void close() {
        groups.close();
    }

    /** "exit code N", and the signal's name when N is 128 + a signal's number (how a shell reports a kill). */
    static String exitCode(int exit) {
        String signal = exit > 128 ? signalName(exit - 128) : null;
        return "exit code " + exit + (signal == null ? "" : " (" + signal + ")");
    }

    private static String signalName(int number) {
        return switch (number) {
            case 1 -> "SIGHUP";
            case 2 -> "SIGINT";
            case 3 -> "SIGQUIT";
            case 6 -> "SIGABRT";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 13 -> "SIGPIPE";
            case 15 -> "SIGTERM";
            default -> null;
        };
    }

    /** "3 s", "0.5 s". */
    static String seconds(Duration duration) {
        return BigDecimal.valueOf(duration.toMillis(), 3).stripTrailingZeros().toPlainString() + " s";
    }

    /** One stop of one process: SIGTERM to its group now, SIGKILL if it is still alive after the grace. */
    private final class Stop {

        private final Process process;
        private final AtomicBoolean begun = new AtomicBoolean();
        private volatile boolean sentSigkill;

        Stop(Process process) {
            this.process = process;
        }

        void begin() {
            if (!begun.compareAndSet(false, true) || !process.isAlive()) {
                return;
            }
            groups.terminate(process);
            CompletableFuture.delayedExecutor(killGrace.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                if (process.isAlive()) {
                    sentSigkill = true;
                    groups.kill(process);
                }
            });
        }

        /** True if the process ended by the SIGKILL of this stop (128 + 9), not by itself meanwhile. */
        boolean killedBySigkill(int exit) {
            return sentSigkill && exit == 128 + 9;
        }
    }

    private static void writeInputs(Process process, String json) {
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // The process does not read its stdin (or exited): that is its choice.
        }
    }

    /**
     * A Struct as the JSON a script reads. The server refuses NaN, Infinity and NUL characters in
     * every Struct it stores, so this fails only if a server let one through.
     */
    private static String json(String what, Struct struct) throws TaskFailure {
        try {
            return StructJson.write(struct);
        } catch (StructJson.NotJson e) {
            throw TaskFailure.permanent(what + " have no JSON form: " + e.getMessage() + ", at " + e.path());
        }
    }

    /**
     * The whole stdout as a JSON object, or its last line that is one; nothing printed = no outputs.
     * If something there starts like an object but is not JSON (Python's {@code print(dict)} writes
     * {@code {'a': 1}}), the failure says what is wrong with the first such candidate: the whole
     * text, else the last line.
     */
    static Struct outputs(String stdout) throws TaskFailure {
        String text = stdout.strip();
        if (text.isEmpty()) {
            return Struct.getDefaultInstance();
        }
        List<String> candidates = new ArrayList<>();
        candidates.add(text);
        List<String> lines = text.lines().map(String::strip).toList();
        if (lines.size() > 1) {
            for (int i = lines.size() - 1; i >= 0; i--) {
                candidates.add(lines.get(i));
            }
        }
        IllegalArgumentException first = null;
        for (String candidate : candidates) {
            if (!candidate.startsWith("{")) {
                continue;
            }
            try {
                return StructJson.read(candidate);
            } catch (IllegalArgumentException e) {
                first = first == null ? e : first;
            }
        }
        if (first == null) {
            throw TaskFailure.permanent("the process printed no JSON object on stdout");
        }
        throw TaskFailure.permanent("stdout is not a JSON object: " + first.getMessage());
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Reads stderr line by line: each line becomes the progress message; the last few KiB are kept. */
    private static final class StderrTail extends Thread {

        private final InputStream in;
        private final Task task;
        private final StringBuilder tail = new StringBuilder();

        StderrTail(InputStream in, Task task) {
            super("runplane-stderr-" + task.id());
            setDaemon(true);
            this.in = in;
            this.task = task;
        }

        @Override
        public void run() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    synchronized (tail) {
                        tail.append(line).append('\n');
                        if (tail.length() > STDERR_TAIL) {
                            tail.delete(0, tail.length() - STDERR_TAIL);
                        }
                    }
                    if (!line.isBlank()) {
                        task.progress(line.length() > 1024 ? line.substring(0, 1024) : line);
                    }
                }
            } catch (IOException e) {
                // the process closed its stderr
            }
        }

        String tail() {
            synchronized (tail) {
                return tail.toString().strip();
            }
        }
    }
}
