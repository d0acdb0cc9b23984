package dev.runplane.server.cli.client;

import dev.runplane.server.cli.Durations;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code runplane await ID [--timeout D]}: waits for an execution to end (AwaitExecution). */
@Command(name = "await", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Wait until an execution ends and print it (with its outputs). The exit code says how it "
                + "ended: 0 SUCCEEDED, 3 FAILED, 4 TIMED_OUT, 5 CANCELLED, 6 SKIPPED, 7 still going at --timeout. "
                + "The server wakes the wait (AwaitExecution, or WatchExecution on a server without it): no polling."},
        footerHeading = "%nExamples:%n",
        footer = {"  runplane await 0b5e2f4c-... --timeout 10m",
                "  runplane await 0b5e2f4c-... -o json | jq .outputs",
                "  runplane await \"$id\" || echo \"ended with exit code $?\""})
public final class AwaitCommand implements Callable<Integer> {

    @Mixin
    CommandContext context;

    @Parameters(index = "0", paramLabel = "ID", description = "The execution id.")
    String id;

    @Option(names = "--timeout", converter = Durations.Converter.class, paramLabel = "DURATION",
            description = "Give up after this long (exit code 7), e.g. 30s, 10m. Default: no limit.")
    Duration timeout;

    @Override
    public Integer call() {
        return context.call(connection -> report(context, Waiting.await(connection, id, timeout), timeout));
    }

    /** Prints the execution as the wait left it; the exit code of how it ended (7 if it had not). */
    static int report(CommandContext context, Waiting.Outcome outcome, Duration timeout) {
        Shown.execution(context, outcome.execution());
        if (!outcome.done()) {
            context.note("still " + Human.status(outcome.execution().getStatus()) + " after "
                    + Human.duration(timeout) + " (--timeout)");
        }
        return outcome.exitCode();
    }
}
