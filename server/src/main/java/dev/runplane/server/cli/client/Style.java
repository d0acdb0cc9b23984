package dev.runplane.server.cli.client;

import dev.runplane.v1.ExecutionStatus;
import java.util.Map;

/**
 * Colour, decided once per command: only on a terminal (a pipe or a file gets plain text), never
 * with {@code NO_COLOR} set to anything but the empty string (no-color.org) or with {@code TERM=dumb}.
 */
record Style(boolean colour, boolean tty) {

    private static final String RESET = "\u001b[0m";

    /** The style of this process's stdout. */
    static Style ofThisTerminal() {
        return decide(System.console() != null, System.getenv());
    }

    static Style decide(boolean tty, Map<String, String> env) {
        String noColor = env.get("NO_COLOR");
        boolean colour = tty && (noColor == null || noColor.isEmpty()) && !"dumb".equals(env.get("TERM"));
        return new Style(colour, tty);
    }

    /** A status, by its short name, coloured by how it ended: green, red, yellow, or cyan while it runs. */
    String status(ExecutionStatus status) {
        return status(Human.status(status));
    }

    /** The same for a short status name ({@code FAILED}); any other text is left alone. */
    String status(String name) {
        if (!colour) {
            return name;
        }
        String code = switch (name) {
            case "SUCCEEDED" -> "\u001b[32m";
            case "FAILED", "TIMED_OUT" -> "\u001b[31m";
            case "CANCELLED", "CANCELLING", "SKIPPED" -> "\u001b[33m";
            case "RUNNING" -> "\u001b[36m";
            default -> "";
        };
        return code.isEmpty() ? name : code + name + RESET;
    }

    /** A header line, bold on a terminal. */
    String header(String text) {
        return colour ? "\u001b[1m" + text + RESET : text;
    }
}
