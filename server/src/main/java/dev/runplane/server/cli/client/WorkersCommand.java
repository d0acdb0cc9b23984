package dev.runplane.server.cli.client;

import dev.runplane.v1.ListWorkersRequest;
import dev.runplane.v1.ListWorkersResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code runplane workers} (ListWorkers). */
@Command(name = "workers", mixinStandardHelpOptions = true, sortOptions = false,
        description = "List the workers seen in the last few minutes: the pipelines each polls, what it runs now, "
                + "when it was last seen and the key it calls with.",
        footerHeading = "%nExamples:%n",
        footer = {"  runplane workers", "  runplane workers -o json | jq '.workers | length'"})
public final class WorkersCommand implements Callable<Integer> {

    @Mixin
    CommandContext context;

    @Override
    public Integer call() {
        return context.call(connection -> {
            ListWorkersResponse answer = connection.executions().listWorkers(ListWorkersRequest.getDefaultInstance());
            switch (context.format()) {
                case JSON -> context.document(answer);
                case JSONL -> answer.getWorkersList().forEach(context::line);
                default -> Views.workers(answer.getWorkersList(), context.now(), context.style(), context.out());
            }
            return ExitCodes.OK;
        });
    }
}
