package dev.runplane.server.cli.client;

import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.ListExecutionEventsResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code runplane events ID}: an execution's whole history (ListExecutionEvents, every page). */
@Command(name = "events", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print the history of an execution, oldest first: each committed change, who made it and why.",
        footerHeading = "%nExamples:%n",
        footer = {"  runplane events 0b5e2f4c-...",
                "  runplane events 0b5e2f4c-... -o jsonl | jq -r 'select(.toStatus == \"EXECUTION_STATUS_FAILED\") | .reason'"})
public final class EventsCommand implements Callable<Integer> {

    /** The largest page the server gives. */
    private static final int PAGE = 1000;

    @Mixin
    CommandContext context;

    @Parameters(index = "0", paramLabel = "ID", description = "The execution id.")
    String id;

    @Override
    public Integer call() {
        return context.call(connection -> {
            List<ExecutionEvent> events = new ArrayList<>();
            String token = "";
            do {
                ListExecutionEventsResponse page = connection.executions().listExecutionEvents(
                        ListExecutionEventsRequest.newBuilder().setId(id).setPageSize(PAGE).setPageToken(token).build());
                if (context.format() == Format.JSONL) {
                    page.getEventsList().forEach(context::line); // as they come: a long history streams
                } else {
                    events.addAll(page.getEventsList());
                }
                token = page.getNextPageToken();
            } while (!token.isEmpty());
            switch (context.format()) {
                case JSON -> context.document(ListExecutionEventsResponse.newBuilder().addAllEvents(events));
                case TABLE -> Views.events(events, context.now(), context.style(), context.out());
                default -> { }
            }
            return ExitCodes.OK;
        });
    }
}
