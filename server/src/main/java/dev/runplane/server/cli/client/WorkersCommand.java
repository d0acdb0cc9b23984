package dev.runplane.server.cli.client;

import dev.runplane.v1.ListWorkersRequest;
import dev.runplane.v1.ListWorkersResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code runplane workers} (ListWorkers). */
@Command(name = "workers", mixinStandardHelpOptions = true, sortOptions = false,
        description = "List the workers seen in the last few minutes: the pipelines each polls, what it runs now, "
                + "when it was last seen and the key it calls with.",
        footerHeading = "%nExamples:%n",
        footer = {"  runplane workers", "  runplane workers -o json | jq '.workers | length'"})
public final class WorkersCommand implements Callable<Integer> {

    @Mixin
    CommandContext context;

    @Option(names = "--pipeline", paramLabel = "NAME",
            description = "Only workers that poll one of these pipelines (repeatable).")
    List<String> pipelines = new ArrayList<>();

    @Override
    public Integer call() {
        return context.call(connection -> {
            ListWorkersResponse answer = connection.executions()
                    .listWorkers(ListWorkersRequest.newBuilder().addAllPipelines(pipelines).build());
            switch (context.format()) {
                case JSON -> context.document(answer);
                case JSONL -> answer.getWorkersList().forEach(context::line);
                default -> Views.workers(answer.getWorkersList(), context.now(), context.style(), context.out());
            }
            return ExitCodes.OK;
        });
    }
}
