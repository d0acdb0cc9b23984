package dev.runplane.server.cli.client;

import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.Step;
import dev.runplane.v1.StepStatus;
import io.grpc.Deadline;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code watch ID} and {@code run --watch}: one execution's progress as a line (status, current
 * step, message, elapsed) until it ends. On a terminal the line is redrawn in place, and its elapsed
 * time ticks every second; elsewhere (a pipe, a file, a CI log) each change is a line of its own.
 * Changes come from WatchExecution; each one also reads the execution (GetExecution) for its steps,
 * which the stream's events leave out.
 */
final class Progress {

    private final CommandContext context;
    private final Connection connection;
    private final String id;
    private final boolean live;
    private Execution current;
    private String shown = "";

    private Progress(CommandContext context, Connection connection, String id) {
        this.context = context;
        this.connection = connection;
        this.id = id;
        this.live = context.style().tty() && context.format() == Format.TABLE;
    }

    /** Follows the execution until it ends or the timeout (null: none) passes; the exit code. */
    static int watch(CommandContext context, Connection connection, String id, Duration timeout)
            throws InterruptedException {
        return new Progress(context, connection, id).run(timeout);
    }

    private int run(Duration timeout) throws InterruptedException {
        Deadline deadline = timeout == null ? null : Deadline.after(timeout.toNanos(), TimeUnit.NANOSECONDS);
        ScheduledExecutorService ticker = null;
        if (live) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "runplane-progress");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleAtFixedRate(this::redraw, 1, 1, TimeUnit.SECONDS);
        }
        Waiting.Outcome outcome;
        try {
            outcome = Waiting.follow(connection, id, deadline, this::changed);
        } finally {
            if (ticker != null) {
                ticker.shutdownNow();
                ticker.awaitTermination(1, TimeUnit.SECONDS); // its last redraw, before the final line
            }
        }
        if (live) {
            context.out().println(); // leave the last line standing
        }
        if (context.format() == Format.JSON) {
            context.document(outcome.execution());
        }
        if (!outcome.done()) {
            context.note("still " + Human.status(outcome.execution().getStatus()) + " after " + Human.duration(timeout)
                    + " (--timeout)");
        }
        return outcome.exitCode();
    }

    private void changed(ExecutionEvent event) {
        if (context.format() == Format.JSONL) {
            context.line(event);
            return;
        }
        if (context.format() == Format.JSON) {
            return; // one document: the execution as it ends
        }
        Execution withSteps = ExitCodes.terminal(event.getToStatus()) || event.getExecution().getStatus()
                == ExecutionStatus.EXECUTION_STATUS_RUNNING ? Waiting.get(connection, id)
                : event.getExecution();
        synchronized (this) {
            current = withSteps;
        }
        redraw();
    }

    private synchronized void redraw() {
        if (current == null) {
            return;
        }
        String line = line(current, Instant.now());
        PrintWriter out = context.out();
        if (live) {
            out.print("\r\u001b[K" + line);
        } else if (!line(current, null).equals(shown)) {
            out.println(line);
            shown = line(current, null);
        }
        out.flush();
    }

    /** status, step, message, elapsed; {@code now} null leaves the elapsed time out (to compare lines). */
    private String line(Execution e, Instant now) {
        StringBuilder line = new StringBuilder(context.style().status(e.getStatus()));
        Step step = currentStep(e.getStepsList());
        if (step != null) {
            line.append("  step ").append(step.getName());
            if (e.getStepsCount() > 1) {
                line.append(" (").append(e.getStepsList().indexOf(step) + 1).append('/').append(e.getStepsCount()).append(')');
            }
        }
        String message = e.getError().isEmpty() ? e.getMessage() : e.getError();
        if (!message.isEmpty()) {
            line.append("  ").append(Human.clip(message, 80));
        }
        if (now != null) {
            line.append("  ").append(elapsed(e, now));
        }
        return line.toString();
    }

    /** The step running now, else the last one reported. */
    private static Step currentStep(List<Step> steps) {
        for (int i = steps.size() - 1; i >= 0; i--) {
            if (steps.get(i).getStatus() == StepStatus.STEP_STATUS_RUNNING) {
                return steps.get(i);
            }
        }
        return steps.isEmpty() ? null : steps.get(steps.size() - 1);
    }

    /** Since it was created, until it ended. */
    private static String elapsed(Execution e, Instant now) {
        Instant start = Instant.ofEpochSecond(e.getCreateTime().getSeconds(), e.getCreateTime().getNanos());
        Instant end = e.hasEndTime() ? Instant.ofEpochSecond(e.getEndTime().getSeconds(), e.getEndTime().getNanos()) : now;
        return Human.duration(Duration.between(start, end).isNegative() ? Duration.ZERO : Duration.between(start, end));
    }
}
