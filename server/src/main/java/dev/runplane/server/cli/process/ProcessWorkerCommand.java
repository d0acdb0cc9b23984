package dev.runplane.server.cli.process;

import dev.runplane.server.cli.ClientOptions;
import dev.runplane.server.cli.Durations;
import dev.runplane.worker.Worker;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code runplane worker --pipeline NAME -- cmd args}: turns any program into a pipeline. Each
 * claimed execution runs the command once ({@link ProcessHandler}); Ctrl-C stops claiming and lets
 * running processes finish (up to the drain time).
 */
@Command(name = "worker", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a command for every execution of a pipeline: inputs as JSON on stdin (whole numbers "
                + "as integers), outputs as a JSON object on stdout, RUNPLANE_EXECUTION_ID, RUNPLANE_ATTEMPT, "
                + "RUNPLANE_PIPELINE (and RUNPLANE_TRIGGER_VARIABLES, if any) in the environment.",
                "A non-zero exit is retried while the Run's max_attempts allows. Each command runs in a process "
                + "group of its own, which is killed if the worker dies (even by SIGKILL).",
                "Once the server has an API key, the worker needs one with the `work` scope: set RUNPLANE_API_KEY."})
public final class ProcessWorkerCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** --server, --api-key, TLS: the same as every client-side command. */
    @Mixin
    ClientOptions client = new ClientOptions();

    @Option(names = "--pipeline", required = true, description = "Pipeline to execute (repeat for several).")
    List<String> pipelines;

    @Option(names = "--concurrency", defaultValue = "1", description = "Processes at once (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--worker-id", description = "Name kept on each execution (default pid@host).")
    String workerId;

    @Option(names = "--lease", defaultValue = "30s", converter = Durations.Converter.class,
            description = "Lease duration; heartbeats every third of it (default ${DEFAULT-VALUE}).")
    Duration lease;

    @Option(names = "--kill-grace", defaultValue = "10s", converter = Durations.Converter.class,
            description = "After a Cancel, how long between SIGTERM and SIGKILL (default ${DEFAULT-VALUE}).")
    Duration killGrace;

    @Option(names = "--drain-time", defaultValue = "30s", converter = Durations.Converter.class,
            description = "On stop, how long running processes may finish (default ${DEFAULT-VALUE}).")
    Duration drainTime;

    @Option(names = "--no-retry-on-failure",
            description = "A non-zero exit FAILS the execution at once. By default it is retryable: queued again "
                    + "while the Run's max_attempts allows.")
    boolean noRetryOnFailure;

    /** The default since a Run's max_attempts governs retries; still accepted so that old scripts keep working. */
    @Option(names = "--retry-on-failure", hidden = true)
    boolean retryOnFailure;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments, after --.")
    List<String> command;

    @Override
    public Integer call() throws InterruptedException {
        Running running = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "runplane-worker-shutdown"));
        System.err.println("Runplane worker: " + String.join(" ", command) + " for " + pipelines + " on " + client.server());
        stopped.await();
        return 0;
    }

    /** Connects and starts claiming; close the answer to stop. */
    public Running start() {
        if (noRetryOnFailure && retryOnFailure) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--retry-on-failure and --no-retry-on-failure contradict each other");
        }
        ManagedChannel channel = client.channel();
        ProcessHandler handler = new ProcessHandler(command, killGrace, !noRetryOnFailure);
        Worker.Builder builder = Worker.builder(ClientInterceptors.intercept(channel, client.keyInterceptor())).concurrency(concurrency).leaseDuration(lease)
                .drainTime(drainTime);
        if (workerId != null) {
            builder.workerId(workerId);
        }
        pipelines.forEach(pipeline -> builder.handle(pipeline, handler));
        return new Running(builder.build().start(), handler, channel);
    }

    /** A started worker, its handler and its channel. */
    public record Running(Worker worker, ProcessHandler handler, ManagedChannel channel) implements AutoCloseable {
        @Override
        public void close() {
            worker.close();
            handler.close(); // after the drain: a process still running now is killed
            channel.shutdown();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
