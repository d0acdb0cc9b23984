package dev.runplane.server.cli.client;

import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The filter flags that search and watch share (ExecutionFilter). */
final class FilterOptions {

    @Option(names = "--pipeline", paramLabel = "NAME", description = "Only this pipeline (repeatable: any of them).")
    List<String> pipelines = new ArrayList<>();

    @Option(names = "--status", paramLabel = "STATUS",
            description = "Only this status (repeatable): queued, running, cancelling, succeeded, failed, cancelled, "
                    + "timed_out, skipped.")
    List<String> statuses = new ArrayList<>();

    @Option(names = "--mode", paramLabel = "MODE", description = "Only production or experiment executions.")
    String mode;

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Only with this label (repeatable: all of them).")
    List<String> labels = new ArrayList<>();

    boolean isEmpty() {
        return pipelines.isEmpty() && statuses.isEmpty() && mode == null && labels.isEmpty();
    }

    ExecutionFilter.Builder toFilter() {
        ExecutionFilter.Builder filter = ExecutionFilter.newBuilder().addAllPipelines(pipelines)
                .putAllLabels(Values.pairs(labels, "-l"));
        for (String status : statuses) {
            filter.addStatuses(status(status));
        }
        if (mode != null) {
            filter.addModes(RunCommand.mode(mode));
        }
        return filter;
    }

    /** failed, FAILED or EXECUTION_STATUS_FAILED. */
    static ExecutionStatus status(String text) {
        String name = text.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            ExecutionStatus status = ExecutionStatus.valueOf(name.startsWith("EXECUTION_STATUS_") ? name
                    : "EXECUTION_STATUS_" + name);
            if (status != ExecutionStatus.EXECUTION_STATUS_UNSPECIFIED) {
                return status;
            }
        } catch (IllegalArgumentException e) {
            // below
        }
        throw new IllegalArgumentException("--status: '" + text + "' is not one of queued, running, cancelling, "
                + "succeeded, failed, cancelled, timed_out, skipped");
    }
}
