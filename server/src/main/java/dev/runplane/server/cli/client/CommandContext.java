package dev.runplane.server.cli.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import dev.runplane.server.cli.ClientOptions;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every client command shares: how to reach the server (the same {@link ClientOptions} as
 * {@code keys} and {@code worker}), {@code -o table|json|jsonl}, the exit codes in its {@code --help},
 * and one way to run a call and report its failure. A picocli mixin: {@code @Mixin CommandContext context;}.
 */
@Command(exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                ExitCodes.OK + ":done; for await, run --wait, run --watch and watch ID: the execution SUCCEEDED",
                ExitCodes.ERROR + ":the server refused the call (the error line on stderr names the gRPC code)",
                ExitCodes.USAGE + ":usage error (unknown flag, bad value)",
                ExitCodes.FAILED + ":the execution FAILED",
                ExitCodes.TIMED_OUT + ":the execution TIMED_OUT (it ran past its max runtime)",
                ExitCodes.CANCELLED + ":the execution was CANCELLED",
                ExitCodes.SKIPPED + ":the execution was SKIPPED (an active execution held its dedup key)",
                ExitCodes.STILL_RUNNING + ":it was still queued or running when --timeout passed",
                ExitCodes.UNAVAILABLE + ":the server could not be reached, or answered UNAVAILABLE (retry later)"})
public final class CommandContext {

    @Spec(Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ClientOptions client = new ClientOptions();

    @Option(names = {"-o", "--output"}, defaultValue = "table", converter = Format.Converter.class, paramLabel = "FORMAT",
            description = "table (aligned columns for people, the default), json (the proto JSON, one document) "
                    + "or jsonl (one compact JSON line per item, for jq).")
    Format format;

    private Style style;

    /** A client call: the work of a command once connected; its answer is the exit code. */
    @FunctionalInterface
    interface Call {
        int run(Connection connection) throws InterruptedException;
    }

    /**
     * Connects, runs the call and closes. A failed call is one line on stderr ({@link CallErrors})
     * and its exit code ({@link ExitCodes#of(StatusRuntimeException)}); a flag the call found wrong
     * (IllegalArgumentException) is a usage error.
     */
    int call(Call work) {
        Connection connection;
        try {
            connection = new Connection(client);
        } catch (RuntimeException e) { // plaintext to a remote server, unreadable TLS files
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        try {
            return work.run(connection);
        } catch (StatusRuntimeException e) {
            err().println(CallErrors.line(e, client.server()));
            err().flush();
            return ExitCodes.of(e);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err().println("error: interrupted");
            return ExitCodes.ERROR;
        } finally {
            connection.close();
        }
    }

    /** A flag's value that the command found wrong: picocli prints it with the usage hint, exit code 2. */
    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    Format format() {
        return format;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** A note for the person at the terminal, on stderr so that stdout stays what scripts read. */
    void note(String text) {
        err().println(text);
        err().flush();
    }

    Style style() {
        if (style == null) {
            style = Style.ofThisTerminal();
        }
        return style;
    }

    Instant now() {
        return Instant.now();
    }

    /** The proto JSON of a message, indented: what {@code -o json} prints. */
    void document(MessageOrBuilder message) {
        out().println(json(message, false));
        out().flush();
    }

    /** The proto JSON of a message on one line: what {@code -o jsonl} prints per item. */
    void line(MessageOrBuilder message) {
        out().println(json(message, true));
        out().flush();
    }

    private static String json(MessageOrBuilder message, boolean compact) {
        JsonFormat.Printer printer = JsonFormat.printer();
        try {
            return (compact ? printer.omittingInsignificantWhitespace() : printer).print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(e); // only for Any of an unknown type: we print none
        }
    }
}
