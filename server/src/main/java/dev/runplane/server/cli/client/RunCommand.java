package dev.runplane.server.cli.client;

import com.google.protobuf.util.Durations;
import dev.runplane.v1.ExecutionMode;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.Trigger;
import dev.runplane.v1.TriggerKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code runplane run PIPELINE [-i key=value]... [--wait]}: queues one execution (Run). */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Queue an execution of PIPELINE and print it; with --wait, wait for it to end and print it "
                + "with its outputs; with --watch, show its progress. The Run is recorded as triggered by hand "
                + "(trigger MANUAL, actor: your user name)."},
        footerHeading = "%nExamples:%n",
        footer = {"  runplane run nightly -i day=2026-11-22 --wait",
                "  runplane run train -i epochs=3 -i 'cfg={\"lr\":0.1}' -l team=red --priority 5 --max-runtime 1h",
                "  id=$(runplane run nightly -o json | jq -r .id)"})
public final class RunCommand implements Callable<Integer> {

    @Mixin
    CommandContext context;

    @Parameters(index = "0", paramLabel = "PIPELINE", description = "The pipeline to run.")
    String pipeline;

    @Option(names = {"-i", "--input"}, paramLabel = "KEY=VALUE",
            description = "An input (repeatable): a number (n=3), a boolean (ok=true), a JSON object or list "
                    + "(cfg={\"a\":1}), anything else a string (day=2026-11-22). Applied over --inputs-file.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--inputs-file", paramLabel = "FILE", description = "The inputs as a JSON object in FILE (- reads stdin).")
    String inputsFile;

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "A searchable label (repeatable).")
    List<String> labels = new ArrayList<>();

    @Option(names = "--mode", paramLabel = "MODE", description = "production (the default) or experiment.")
    String mode;

    @Option(names = "--priority", paramLabel = "N", description = "Higher runs first: -1000 to 1000 (default 0).")
    Integer priority;

    @Option(names = "--request-id", paramLabel = "ID",
            description = "Idempotency key: running the same request again answers the same execution.")
    String requestId;

    @Option(names = "--dedup-key", paramLabel = "KEY",
            description = "While an active execution holds this key, this one is recorded as SKIPPED.")
    String dedupKey;

    @Option(names = "--max-runtime", paramLabel = "DURATION", converter = dev.runplane.server.cli.Durations.Converter.class,
            description = "An attempt running longer is TIMED_OUT (e.g. 30m, 2h).")
    Duration maxRuntime;

    @Option(names = "--max-attempts", paramLabel = "N", description = "Attempts allowed, 1 to 100 (default 1).")
    Integer maxAttempts;

    @Option(names = "--at", paramLabel = "TIME",
            description = "Not before this time: RFC 3339 (2026-11-22T06:00:00Z), a date, or from now (2h, 1d).")
    String at;

    @Option(names = "--parent", paramLabel = "ID", description = "The execution that starts this one.")
    String parent;

    @Mixin
    WaitOptions wait;

    @Override
    public Integer call() {
        return context.call(connection -> {
            RunRequest.Builder request = RunRequest.newBuilder().setPipeline(pipeline)
                    .setInputs(Values.inputs(inputs, inputsFile, System.in))
                    .putAllLabels(Values.pairs(labels, "-l"))
                    .setTrigger(Trigger.newBuilder().setKind(TriggerKind.TRIGGER_KIND_MANUAL)
                            .setActor(System.getProperty("user.name", "")));
            if (mode != null) {
                request.setMode(mode(mode));
            }
            if (priority != null) {
                request.setPriority(priority);
            }
            if (requestId != null) {
                request.setRequestId(requestId);
            }
            if (dedupKey != null) {
                request.setDedupKey(dedupKey);
            }
            if (maxRuntime != null) {
                request.setMaxRuntime(Durations.fromNanos(maxRuntime.toNanos()));
            }
            if (maxAttempts != null) {
                request.setMaxAttempts(maxAttempts);
            }
            if (at != null) {
                request.setScheduledFor(Values.time(at, "--at", true, context.now()));
            }
            if (parent != null) {
                request.setParentId(parent);
            }
            return wait.afterQueued(context, connection, connection.executions().run(request.build()).getExecution());
        });
    }

    /** production or experiment, in any case, with or without the EXECUTION_MODE_ prefix. */
    static ExecutionMode mode(String text) {
        String name = text.strip().toUpperCase(Locale.ROOT);
        try {
            ExecutionMode mode = ExecutionMode.valueOf(name.startsWith("EXECUTION_MODE_") ? name : "EXECUTION_MODE_" + name);
            if (mode != ExecutionMode.UNRECOGNIZED && mode != ExecutionMode.EXECUTION_MODE_UNSPECIFIED) {
                return mode;
            }
        } catch (IllegalArgumentException e) {
            // below
        }
        throw new IllegalArgumentException("--mode: '" + text + "' is not production or experiment");
    }
}
