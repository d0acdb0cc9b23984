package dev.runplane.server.cli.client;

import dev.runplane.v1.ListQueuesRequest;
import dev.runplane.v1.ListQueuesResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code runplane queues} (ListQueues). */
@Command(name = "queues", mixinStandardHelpOptions = true, sortOptions = false,
        description = "List the queues: per pipeline, how many executions wait (and how many of them are scheduled "
                + "for later), how many run, how many workers poll it, and how long the oldest has waited.",
        footerHeading = "%nExamples:%n",
        footer = {"  runplane queues", "  runplane queues -o jsonl | jq -r 'select(.workerCount == 0) | .pipeline'"})
public final class QueuesCommand implements Callable<Integer> {

    @Mixin
    CommandContext context;

    @Option(names = "--pipeline", paramLabel = "NAME", description = "Only these pipelines' queues (repeatable).")
    List<String> pipelines = new ArrayList<>();

    @Override
    public Integer call() {
        return context.call(connection -> {
            ListQueuesResponse answer = connection.executions()
                    .listQueues(ListQueuesRequest.newBuilder().addAllPipelines(pipelines).build());
            switch (context.format()) {
                case JSON -> context.document(answer);
                case JSONL -> answer.getQueuesList().forEach(context::line);
                default -> Views.queues(answer.getQueuesList(), context.now(), context.style(), context.out());
            }
            return ExitCodes.OK;
        });
    }
}
