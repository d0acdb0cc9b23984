package dev.runplane.server.cli.client;

import dev.runplane.server.cli.Main;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The launcher's short path for one client command ({@code runplane get ID}): a root with that
 * command alone, so that picocli reads one command class instead of the server's flags and every
 * other command (about a fifth of the start-up of {@code get}, docs/benchmarks.md). Help, usage errors
 * and exit codes are the same as through {@link Main}'s whole tree; {@code completion} and anything
 * not listed here take the whole tree.
 */
@Command(name = "runplane", mixinStandardHelpOptions = true, version = Main.VERSION)
public final class ClientLauncher implements Runnable {

    private static final Map<String, Class<?>> COMMANDS = Map.of("run", RunCommand.class, "get", GetCommand.class,
            "search", SearchCommand.class, "watch", WatchCommand.class, "await", AwaitCommand.class,
            "cancel", CancelCommand.class, "rerun", RerunCommand.class, "events", EventsCommand.class,
            "queues", QueuesCommand.class, "workers", WorkersCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The command line for these arguments when they start with a client command; null otherwise. */
    public static CommandLine forArguments(String... args) {
        Class<?> command = args.length == 0 ? null : COMMANDS.get(args[0]);
        if (command == null) {
            return null;
        }
        return new CommandLine(new ClientLauncher()).addSubcommand(args[0], command);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command");
    }
}
