package dev.runplane.server.cli.client;

import dev.runplane.v1.Execution;

/** How the commands that answer one execution show it: the detail view, or its proto JSON. */
final class Shown {

    private Shown() {
    }

    static void execution(CommandContext context, Execution execution) {
        switch (context.format()) {
            case JSON -> context.document(execution);
            case JSONL -> context.line(execution);
            default -> Views.detail(execution, context.now(), context.style(), context.out());
        }
    }
}
