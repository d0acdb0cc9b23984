package dev.runplane.server.cli.client;

import dev.runplane.server.cli.Durations;
import dev.runplane.v1.Execution;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --wait}, {@code --watch} and {@code --timeout} of the commands that queue an execution (run, rerun). */
final class WaitOptions {

    @Option(names = "--wait", description = "Wait until the execution ends, then print it (with its outputs); "
            + "the exit code says how it ended.")
    boolean await;

    @Option(names = "--watch", description = "Show its progress live (status, step, message, elapsed) until it ends; "
            + "the exit code says how it ended.")
    boolean watch;

    @Option(names = "--timeout", converter = Durations.Converter.class, paramLabel = "DURATION",
            description = "With --wait or --watch: give up after this long (exit code 7), e.g. 30s, 10m. Default: no limit.")
    Duration timeout;

    /** Checks the combination, then shows the new execution and waits as asked; the exit code. */
    int afterQueued(CommandContext context, Connection connection, Execution queued) throws InterruptedException {
        if (await && watch) {
            throw context.usage("--wait and --watch: choose one");
        }
        if (timeout != null && !await && !watch) {
            throw context.usage("--timeout needs --wait or --watch");
        }
        if (watch) {
            context.note("Queued " + queued.getId() + " (" + queued.getPipeline() + ")");
            return Progress.watch(context, connection, queued.getId(), timeout);
        }
        if (!await) {
            Shown.execution(context, queued);
            return ExitCodes.OK;
        }
        context.note("Queued " + queued.getId() + " (" + queued.getPipeline() + "), waiting for it to end...");
        Waiting.Outcome outcome = ExitCodes.terminal(queued.getStatus()) ? new Waiting.Outcome(queued, true)
                : Waiting.await(connection, queued.getId(), timeout);
        return AwaitCommand.report(context, outcome, timeout);
    }
}
