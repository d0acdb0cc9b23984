package dev.runplane.server.cli;

import com.google.protobuf.util.Durations;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.testing.ServerProcess;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reaper's and retries' timings from the launcher's flags (README, "Configuration"). */
class WorkerFlagsTest {

    private static WorkerSettings parse(String... args) {
        Main main = new Main();
        CommandLine commandLine = new CommandLine(main);
        commandLine.parseArgs(args);
        return main.workerOptions.toSettings(commandLine);
    }

    /** Runs the launcher in this JVM: its exit code and what it printed on stderr. */
    private static String[] launch(String... args) {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Main()).setErr(new PrintWriter(err)).execute(args);
        return new String[] {Integer.toString(code), err.toString()};
    }

    @Test
    void withoutFlagsTheSettingsAreTheDefaults() {
        assertEquals(WorkerSettings.DEFAULT, parse());
    }

    @Test
    void flagsSetEachTiming() {
        assertEquals(new WorkerSettings(Duration.ofMillis(250), Duration.ofSeconds(5), Duration.ofSeconds(2),
                        Duration.ofMinutes(1), WorkerSettings.DEFAULT.wakeUpFallback()),
                parse("--reaper-interval", "250ms", "--cancel-grace", "5s", "--retry-base-delay", "2s",
                        "--retry-max-delay", "1m"));
    }

    @Test
    void outOfRangeTimingsAreUsageErrorsNamingTheFlag() {
        String[] shorter = launch("--port", "0", "--retry-base-delay", "10s", "--retry-max-delay", "1s");
        assertEquals("2", shorter[0], shorter[1]);
        assertTrue(shorter[1].contains("--retry-max-delay"), shorter[1]);
        String[] tooOften = launch("--port", "0", "--reaper-interval", "10ms");
        assertEquals("2", tooOften[0], tooOften[1]);
        assertTrue(tooOften[1].contains("--reaper-interval must be at least 100ms"), tooOften[1]);
        String[] zero = launch("--port", "0", "--retry-base-delay", "0s");
        assertEquals("2", zero[0], zero[1]);
        assertTrue(zero[1].contains("--retry-base-delay must be positive"), zero[1]);
    }

    /** The launcher hands the flags to the server: a cancel ends after 1 s of grace, not the default 30 s. */
    @Test
    void theServerUsesTheCancelGraceOfItsFlag(@TempDir Path dir) throws Exception {
        ServerProcess server = ServerProcess.start(dir.resolve("server.log"), "--port", "0",
                "--database-url", TestPostgres.url(TestPostgres.newDatabase()),
                "--cancel-grace", "1s", "--reaper-interval", "200ms");
        ManagedChannel channel = null;
        try {
            channel = NettyChannelBuilder.forAddress("127.0.0.1", server.awaitPort()).usePlaintext().build();
            var executions = ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
            String id = executions.run(RunRequest.newBuilder().setPipeline("graceful").build()).getExecution().getId();
            assertEquals(1, WorkerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .poll(PollRequest.newBuilder().setWorkerId("w").addPipelines("graceful")
                            .setMaxWait(Durations.fromSeconds(5)).build()).getAssignmentsCount());
            assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLING,
                    executions.cancel(CancelRequest.newBuilder().setId(id).build()).getExecution().getStatus());
            // The worker never answers; the watch ends with the execution (within the 20 s deadline).
            List<ExecutionEvent> events = new ArrayList<>();
            executions.watchExecution(WatchExecutionRequest.newBuilder().setId(id).build())
                    .forEachRemaining(response -> events.add(response.getEvent()));
            ExecutionEvent last = events.get(events.size() - 1);
            assertEquals(ExecutionStatus.EXECUTION_STATUS_CANCELLED, last.getExecution().getStatus());
            assertEquals("cancel grace period passed", last.getReason());
        } finally {
            if (channel != null) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            server.process().destroy();
            server.process().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
