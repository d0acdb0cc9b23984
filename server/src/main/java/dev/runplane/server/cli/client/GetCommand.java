package dev.runplane.server.cli.client;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code runplane get ID}: one execution with its steps (GetExecution). */
@Command(name = "get", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print one execution: status, times, inputs, outputs and steps.",
        footerHeading = "%nExamples:%n",
        footer = {"  runplane get 0b5e2f4c-...", "  runplane get 0b5e2f4c-... -o json | jq .outputs"})
public final class GetCommand implements Callable<Integer> {

    @Mixin
    CommandContext context;

    @Parameters(index = "0", paramLabel = "ID", description = "The execution id.")
    String id;

    @Override
    public Integer call() {
        return context.call(connection -> {
            Shown.execution(context, Waiting.get(connection, id));
            return ExitCodes.OK;
        });
    }
}
