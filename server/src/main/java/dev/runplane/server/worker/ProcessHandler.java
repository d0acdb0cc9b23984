package dev.runplane.server.worker;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.runplane.worker.Handler;
import dev.runplane.worker.Task;
import dev.runplane.worker.TaskFailure;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one OS process per execution: the inputs as JSON on stdin, the execution id and attempt in
 * environment variables, the outputs from a JSON object on stdout (the whole of it, or its last line
 * that is one). Exit code 0 Completes; any other Fails with the tail of stderr. Each stderr line is
 * also sent as the progress message. Cancel (or a lost lease) sends SIGTERM, then SIGKILL after the
 * grace period.
 */
public final class ProcessHandler implements Handler {

    static final int STDERR_TAIL = 4096;

    private final List<String> command;
    private final Duration killGrace;
    private final boolean retryOnFailure;

    public ProcessHandler(List<String> command, Duration killGrace, boolean retryOnFailure) {
        this.command = List.copyOf(command);
        this.killGrace = killGrace;
        this.retryOnFailure = retryOnFailure;
    }

    @Override
    public Struct handle(Task task) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("RUNPLANE_EXECUTION_ID", task.id());
        builder.environment().put("RUNPLANE_ATTEMPT", Integer.toString(task.attempt()));
        builder.environment().put("RUNPLANE_PIPELINE", task.execution().getPipeline());
        Process process = builder.start();
        task.onCancel(() -> stop(process));
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        StderrTail stderr = new StderrTail(process.getErrorStream(), task);
        stderr.start();
        writeInputs(process, JsonFormat.printer().omittingInsignificantWhitespace().print(task.inputs()));
        int exit = process.waitFor();
        stderr.join(5_000);
        String out = stdout.get(5, TimeUnit.SECONDS);
        if (task.cancelRequested() || task.leaseLost()) {
            throw TaskFailure.permanent("cancelled: the process was stopped (exit code " + exit + ")");
        }
        if (exit != 0) {
            String message = "exit code " + exit + "; stderr: " + stderr.tail();
            throw retryOnFailure ? TaskFailure.retryable(message) : TaskFailure.permanent(message);
        }
        return outputs(out);
    }

    /** SIGTERM now, SIGKILL (to the process and its children) if it is still alive after the grace. */
    private void stop(Process process) {
        process.destroy();
        CompletableFuture.delayedExecutor(killGrace.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        });
    }

    private static void writeInputs(Process process, String json) {
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // The process does not read its stdin (or exited): that is its choice.
        }
    }

    /** The whole stdout as a JSON object, or its last line that is one; nothing printed = no outputs. */
    static Struct outputs(String stdout) throws TaskFailure {
        String text = stdout.strip();
        if (text.isEmpty()) {
            return Struct.getDefaultInstance();
        }
        String json = isObject(text) ? text : null;
        if (json == null) {
            List<String> lines = text.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
            for (int i = lines.size() - 1; i >= 0 && json == null; i--) {
                if (isObject(lines.get(i))) {
                    json = lines.get(i);
                }
            }
        }
        if (json == null) {
            throw TaskFailure.permanent("the process printed no JSON object on stdout");
        }
        Struct.Builder outputs = Struct.newBuilder();
        try {
            JsonFormat.parser().merge(json, outputs);
        } catch (InvalidProtocolBufferException e) {
            throw TaskFailure.permanent("stdout is not a JSON object: " + e.getMessage());
        }
        return outputs.build();
    }

    private static boolean isObject(String text) {
        if (!text.startsWith("{")) {
            return false;
        }
        try {
            JsonElement element = JsonParser.parseString(text);
            return element.isJsonObject();
        } catch (RuntimeException e) {
            return false;
        }
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
