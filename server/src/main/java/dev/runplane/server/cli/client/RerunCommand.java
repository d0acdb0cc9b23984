package dev.runplane.server.cli.client;

import com.google.protobuf.Struct;
import dev.runplane.v1.RerunRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code runplane rerun ID [-i key=value]...} (Rerun). */
@Command(name = "rerun", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Queue a new execution with the inputs of an earlier one (its rerun_of points back). "
                + "-i changes only the inputs it names; --inputs-file replaces them all."},
        footerHeading = "%nExamples:%n",
        footer = {"  runplane rerun 0b5e2f4c-...", "  runplane rerun 0b5e2f4c-... -i day=2026-11-23 --wait"})
public final class RerunCommand implements Callable<Integer> {

    @Mixin
    CommandContext context;

    @Parameters(index = "0", paramLabel = "ID", description = "The execution to rerun.")
    String id;

    @Option(names = {"-i", "--input"}, paramLabel = "KEY=VALUE",
            description = "Replace one input (repeatable), read as run -i reads it.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--inputs-file", paramLabel = "FILE", description = "New inputs as a JSON object in FILE (- reads stdin).")
    String inputsFile;

    @Option(names = "--priority", paramLabel = "N", description = "A new priority (default: the earlier one's).")
    Integer priority;

    @Option(names = "--request-id", paramLabel = "ID", description = "Idempotency key, as for run.")
    String requestId;

    @Mixin
    WaitOptions wait;

    @Override
    public Integer call() {
        return context.call(connection -> {
            RerunRequest.Builder request = RerunRequest.newBuilder().setId(id);
            if (inputsFile != null || !inputs.isEmpty()) {
                Struct changed = Values.inputs(inputs, inputsFile, System.in);
                // -i alone changes some keys of the earlier inputs; the server replaces inputs whole.
                request.setInputs(inputsFile != null ? changed
                        : Waiting.get(connection, id).getInputs().toBuilder().putAllFields(changed.getFieldsMap()).build());
            }
            if (priority != null) {
                request.setPriority(priority);
            }
            if (requestId != null) {
                request.setRequestId(requestId);
            }
            return wait.afterQueued(context, connection, connection.executions().rerun(request.build()).getExecution());
        });
    }
}
