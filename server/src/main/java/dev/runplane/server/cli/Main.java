package dev.runplane.server.cli;

import dev.runplane.server.Application;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.StartupChecks;
import dev.runplane.server.cli.client.AwaitCommand;
import dev.runplane.server.cli.client.CancelCommand;
import dev.runplane.server.cli.client.ClientLauncher;
import dev.runplane.server.cli.client.CompletionCommand;
import dev.runplane.server.cli.client.EventsCommand;
import dev.runplane.server.cli.client.GetCommand;
import dev.runplane.server.cli.client.QueuesCommand;
import dev.runplane.server.cli.client.RerunCommand;
import dev.runplane.server.cli.client.RunCommand;
import dev.runplane.server.cli.client.SearchCommand;
import dev.runplane.server.cli.client.WatchCommand;
import dev.runplane.server.cli.client.WorkersCommand;
import dev.runplane.server.core.WorkerSettings;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The launcher: {@code java -jar runplane.jar [options]} runs the server;
 * {@code java -jar runplane.jar worker ... -- cmd args} runs a worker; {@code keys ...} manages API keys;
 * {@code run}, {@code get}, {@code search}, {@code watch}, ... are the CLI for people (cli/client), which
 * reach a server over gRPC and load none of the server's classes.
 */
@Command(name = "runplane", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "A reactive gRPC control plane for pipeline executions.",
        sortOptions = false,
        subcommands = {RunCommand.class, GetCommand.class, SearchCommand.class, WatchCommand.class, AwaitCommand.class,
                CancelCommand.class, RerunCommand.class, EventsCommand.class, QueuesCommand.class, WorkersCommand.class,
                dev.runplane.server.cli.process.ProcessWorkerCommand.class, dev.runplane.server.cli.KeysCommand.class,
                CompletionCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {"  runplane                                      # the server, on 127.0.0.1:50051",
                "  runplane worker --pipeline nightly -- python3 my_step.py",
                "  runplane run nightly -i day=2026-11-22 --wait",
                "  runplane search --pipeline nightly --since 7d",
                "Each command's --help lists its flags, exit codes and examples."})
public final class Main implements Callable<Integer> {

    /** What {@code --version} prints and the server's first log line says. */
    public static final String VERSION = "Runplane 0.1.0";
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    @Option(names = "--port", defaultValue = "${env:RUNPLANE_PORT:-50051}",
            description = "gRPC port (env RUNPLANE_PORT; default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--bind", defaultValue = "${env:RUNPLANE_BIND:-127.0.0.1}",
            description = "Address to listen on (env RUNPLANE_BIND; default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--data-dir", defaultValue = "${env:RUNPLANE_DATA_DIR:-runplane-data}",
            description = "Directory of the embedded PostgreSQL, kept across restarts (env RUNPLANE_DATA_DIR; "
                    + "default ${DEFAULT-VALUE}). Unused with --database-url.")
    Path dataDir;

    @Option(names = "--database-url", defaultValue = "${env:RUNPLANE_DATABASE_URL}",
            description = "External PostgreSQL as r2dbc:postgresql://user:password@host:5432/db "
                    + "(env RUNPLANE_DATABASE_URL). Without it the embedded PostgreSQL runs.")
    String databaseUrl;

    @Option(names = "--db-pool-size", defaultValue = "${env:RUNPLANE_DB_POOL_SIZE:-16}",
            description = "Connections of the main database pool; half as many more (at least 2) serve searches "
                    + "and the reaper (env RUNPLANE_DB_POOL_SIZE; default ${DEFAULT-VALUE}).")
    int poolSize;

    @Option(names = "--drain-time", defaultValue = "${env:RUNPLANE_DRAIN_TIME:-10s}",
            converter = Durations.Converter.class,
            description = "How long a stop waits for calls in flight (env RUNPLANE_DRAIN_TIME; default ${DEFAULT-VALUE}).")
    java.time.Duration drainTime;

    /** Security, transport and metrics flags (issue 7). */
    @CommandLine.Mixin
    OperationsOptions operations;

    /** The reaper's and retries' timings. */
    @CommandLine.Mixin
    WorkerOptions workerOptions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        CommandLine client = ClientLauncher.forArguments(args); // a client command: read only its class
        System.exit((client != null ? client : new CommandLine(new Main())).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig defaults = ServerConfig.defaults();
        ServerConfig config = new ServerConfig(bind, port, dataDir, blankToNull(databaseUrl), poolSize, true, drainTime,
                defaults.limits());
        WorkerSettings workerSettings = workerOptions.toSettings(spec.commandLine());
        log.info("{} starting (Java {}, pid {})", VERSION, Runtime.version(), ProcessHandle.current().pid());
        Application app = Start.orRefusal(config, operations.toConfig(), workerSettings, spec.commandLine().getErr());
        if (app == null) {
            return 2;
        }
        AtomicBoolean stopped = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (stopped.compareAndSet(false, true)) {
                app.close();
            }
        }, "runplane-shutdown"));
        GracefulStop.install(app);
        app.awaitTermination();
        return 0;
    }

    /**
     * The server's start, in a class of its own: the JVM verifies Main (every client command runs
     * through it) without loading the exception it catches, so a client command loads no server class.
     */
    private static final class Start {
        /** The started server, or null once the refusal (a second server on the data directory...) is printed. */
        static Application orRefusal(ServerConfig config, dev.runplane.server.OperationsConfig operations,
                                     WorkerSettings workerSettings, java.io.PrintWriter err) {
            try {
                return Application.start(config, operations, workerSettings);
            } catch (StartupChecks.StartupRefusedException e) {
                err.println(e.getMessage());
                return null;
            }
        }
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text;
    }
}
