package dev.runplane.server.cli.client;

import dev.runplane.v1.CancelRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code runplane cancel ID [--reason R]} (Cancel). */
@Command(name = "cancel", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Cancel an execution: a queued one is CANCELLED at once, a running one is CANCELLING until "
                + "its worker stops (or its grace period passes). Cancelling a cancelled execution changes "
                + "nothing; a finished one is refused (FAILED_PRECONDITION, exit code 1)."},
        footerHeading = "%nExamples:%n",
        footer = {"  runplane cancel 0b5e2f4c-... --reason 'wrong day'",
                "  runplane cancel 0b5e2f4c-... && runplane await 0b5e2f4c-...   # exit code 5 once CANCELLED"})
public final class CancelCommand implements Callable<Integer> {

    @Mixin
    CommandContext context;

    @Parameters(index = "0", paramLabel = "ID", description = "The execution id.")
    String id;

    @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "",
            description = "Why; kept in its history (events).")
    String reason;

    @Override
    public Integer call() {
        return context.call(connection -> {
            Shown.execution(context, connection.executions()
                    .cancel(CancelRequest.newBuilder().setId(id).setReason(reason).build()).getExecution());
            return ExitCodes.OK;
        });
    }
}
