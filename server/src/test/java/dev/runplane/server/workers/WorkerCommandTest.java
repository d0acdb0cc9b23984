package dev.runplane.server.workers;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.runplane.server.Application;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.cli.process.ProcessWorkerCommand;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.Processes;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.Trigger;
import dev.runplane.v1.TriggerKind;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker command end to end: a real server on a Netty port, the command parsed as a user types
 * it, and a real python3 script per execution.
 */
class WorkerCommandTest {

    private static final String SCRIPT = """
            import json, os, signal, subprocess, sys, time
            raw = sys.stdin.read()
            inputs = json.loads(raw)
            mode = inputs.get("mode", "add")
            if mode == "echo":
                print(json.dumps({"stdin": raw, "total": sum(range(inputs["n"])), "big": 10**308,
                                  "trigger": os.environ.get("RUNPLANE_TRIGGER_VARIABLES", "")}, indent="\t"))
                sys.exit(0)
            if mode == "pydict":
                print({"sum": 1})
                sys.exit(0)
            if mode == "stubborn":
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                child = subprocess.Popen(["sleep", "600"])
                with open(inputs["marker"], "w") as f:
                    f.write(str(child.pid))
                print("stubborn", file=sys.stderr, flush=True)
                time.sleep(120)
            if mode == "fail":
                print("first line of noise", file=sys.stderr)
                print("something broke: disk full", file=sys.stderr)
                sys.exit(3)
            if mode == "sleep":
                def stop(signum, frame):
                    with open(inputs["marker"], "w") as f:
                        f.write("SIGTERM")
                    sys.exit(143)
                signal.signal(signal.SIGTERM, stop)
                print("sleeping", file=sys.stderr, flush=True)
                time.sleep(120)
            print("a log line that is not JSON")
            print(json.dumps({"sum": inputs["a"] + inputs["b"],
                              "execution": os.environ["RUNPLANE_EXECUTION_ID"],
                              "attempt": os.environ["RUNPLANE_ATTEMPT"]}))
            """;

    /** A long cancel grace: a CANCELLED here comes from the worker's answer, not from the reaper. */
    private static final WorkerSettings SETTINGS = new WorkerSettings(Duration.ofMillis(200), Duration.ofSeconds(60),
            Duration.ZERO, Duration.ZERO, Duration.ofMillis(500));

    @TempDir
    static Path dir;
    private static Application app;
    private static ManagedChannel channel;
    private static ProcessWorkerCommand.Running worker;

    @BeforeAll
    static void start() throws Exception {
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()));
        app = Application.start(config, NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), SETTINGS);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
        Path script = dir.resolve("my_step.py");
        Files.writeString(script, SCRIPT);
        ProcessWorkerCommand command = CommandLine.populateCommand(new ProcessWorkerCommand(),
                "--server", "127.0.0.1:" + app.port(), "--pipeline", "py", "--concurrency", "2",
                "--lease", "3s", "--kill-grace", "5s", "--", "python3", script.toString());
        worker = command.start();
    }

    @AfterAll
    static void stop() throws Exception {
        worker.close();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        app.close();
    }

    private static ExecutionServiceGrpc.ExecutionServiceBlockingStub executions() {
        return ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static Execution run(Struct inputs) {
        return executions().run(RunRequest.newBuilder().setPipeline("py").setInputs(inputs).build()).getExecution();
    }

    private static Execution awaitExecution(String id, Predicate<Execution> condition) throws InterruptedException {
        return Eventually.await(Duration.ofSeconds(30), "execution " + id, () -> executions()
                .getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution(), condition);
    }

    private static Value number(double n) {
        return Value.newBuilder().setNumberValue(n).build();
    }

    private static Value text(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }

    @Test
    void inputsGoInOnStdinAndOutputsComeOutOfStdout() throws Exception {
        Execution queued = run(Struct.newBuilder().putFields("a", number(2)).putFields("b", number(40)).build());
        Execution done = awaitExecution(queued.getId(), e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_SUCCEEDED);
        assertEquals(42, done.getOutputs().getFieldsOrThrow("sum").getNumberValue());
        assertEquals(queued.getId(), done.getOutputs().getFieldsOrThrow("execution").getStringValue());
        assertEquals("1", done.getOutputs().getFieldsOrThrow("attempt").getStringValue());
    }

    @Test
    void aNonZeroExitFailsWithTheTailOfStderr() throws Exception {
        Execution queued = run(Struct.newBuilder().putFields("mode", text("fail")).build());
        Execution failed = awaitExecution(queued.getId(), e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_FAILED);
        assertTrue(failed.getError().contains("exit code 3"), failed.getError());
        assertTrue(failed.getError().contains("something broke: disk full"), failed.getError());
    }

    /**
     * Whole numbers reach the script as JSON integers (Python's range() refuses 3.0), within ±2^53;
     * other numbers keep their fraction. Trigger variables are written the same way.
     */
    @Test
    void wholeNumbersReachTheScriptAsIntegers() throws Exception {
        Struct inputs = Struct.newBuilder().putFields("mode", text("echo")).putFields("n", number(4))
                .putFields("neg", number(-7)).putFields("max", number(9007199254740992d))
                .putFields("half", number(1.5))
                .putFields("list", Value.newBuilder().setListValue(ListValue.newBuilder()
                        .addValues(number(1)).addValues(number(0.25))).build())
                .putFields("nested", Value.newBuilder().setStructValue(Struct.newBuilder()
                        .putFields("k", number(10))).build())
                .build();
        Struct variables = Struct.newBuilder().putFields("document", number(12)).build();
        Execution queued = executions().run(RunRequest.newBuilder().setPipeline("py").setInputs(inputs)
                .setTrigger(Trigger.newBuilder().setKind(TriggerKind.TRIGGER_KIND_EVENT).setVariables(variables))
                .build()).getExecution();
        Execution done = awaitExecution(queued.getId(), e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_SUCCEEDED
                || e.getStatus() == ExecutionStatus.EXECUTION_STATUS_FAILED);
        assertEquals(ExecutionStatus.EXECUTION_STATUS_SUCCEEDED, done.getStatus(), done.getError());
        String stdin = done.getOutputs().getFieldsOrThrow("stdin").getStringValue();
        for (String expected : List.of("\"n\":4", "\"neg\":-7", "\"max\":9007199254740992", "\"half\":1.5",
                "\"list\":[1,0.25]", "\"nested\":{\"k\":10}")) {
            assertTrue(stdin.contains(expected), expected + " in " + stdin);
        }
        assertEquals(6, done.getOutputs().getFieldsOrThrow("total").getNumberValue(), "sum(range(4))");
        assertEquals(1e308, done.getOutputs().getFieldsOrThrow("big").getNumberValue(), "309 digits: a number");
        assertEquals("{\"document\":12}", done.getOutputs().getFieldsOrThrow("trigger").getStringValue());
    }

    /** Python's print(dict) looks like a JSON object but is not: the execution fails saying so, at once. */
    @Test
    void stdoutThatIsNotJsonFailsTheExecution() throws Exception {
        Execution queued = executions().run(RunRequest.newBuilder().setPipeline("py").setMaxAttempts(3)
                .setInputs(Struct.newBuilder().putFields("mode", text("pydict"))).build()).getExecution();
        Execution failed = awaitExecution(queued.getId(), e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_FAILED
                || e.getStatus() == ExecutionStatus.EXECUTION_STATUS_SUCCEEDED);
        assertEquals(ExecutionStatus.EXECUTION_STATUS_FAILED, failed.getStatus());
        assertTrue(failed.getError().contains("stdout is not a JSON object: expected '\"' at offset 1"),
                failed.getError());
        assertEquals(1, failed.getAttempt(), "not retried: another attempt prints the same");
    }

    /** The Run's max_attempts governs: a non-zero exit is retried while attempts are left, by default. */
    @Test
    void aNonZeroExitIsRetriedWhileTheRunHasAttemptsLeft() throws Exception {
        Execution queued = executions().run(RunRequest.newBuilder().setPipeline("py").setMaxAttempts(2)
                .setInputs(Struct.newBuilder().putFields("mode", text("fail"))).build()).getExecution();
        Execution failed = awaitExecution(queued.getId(), e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_FAILED);
        assertEquals(2, failed.getAttempt(), "both attempts ran");
        assertTrue(failed.getError().contains("exit code 3"), failed.getError());
    }

    /** --no-retry-on-failure opts out: the first non-zero exit FAILS, whatever max_attempts says. */
    @Test
    void noRetryOnFailureFailsAtTheFirstNonZeroExit() throws Exception {
        ProcessWorkerCommand command = CommandLine.populateCommand(new ProcessWorkerCommand(),
                "--server", "127.0.0.1:" + app.port(), "--pipeline", "py-once", "--no-retry-on-failure",
                "--", "python3", dir.resolve("my_step.py").toString());
        try (ProcessWorkerCommand.Running once = command.start()) {
            Execution queued = executions().run(RunRequest.newBuilder().setPipeline("py-once").setMaxAttempts(3)
                    .setInputs(Struct.newBuilder().putFields("mode", text("fail"))).build()).getExecution();
            Execution failed = awaitExecution(queued.getId(),
                    e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_FAILED);
            assertEquals(1, failed.getAttempt(), failed.getError());
        }
    }

    /** The old flag is still accepted (it is the default now); with its opposite it is a usage error. */
    @Test
    void theOldRetryOnFailureFlagIsStillAccepted() {
        CommandLine.populateCommand(new ProcessWorkerCommand(), "--pipeline", "p", "--retry-on-failure", "--", "true");
        ProcessWorkerCommand both = CommandLine.populateCommand(new ProcessWorkerCommand(), "--pipeline", "p", "--retry-on-failure",
                "--no-retry-on-failure", "--", "true");
        CommandLine.ParameterException refused = assertThrows(CommandLine.ParameterException.class, both::start);
        assertTrue(refused.getMessage().contains("contradict"), refused.getMessage());
    }

    /** A script that ignores SIGTERM is killed after the grace, and the error says so (not "exit code 137"). */
    @Test
    void aScriptKilledAfterTheGraceReportsTheSignal() throws Exception {
        Path marker = dir.resolve("stubborn-child.pid");
        Execution queued = run(Struct.newBuilder().putFields("mode", text("stubborn"))
                .putFields("marker", text(marker.toString())).build());
        awaitExecution(queued.getId(), e -> e.getMessage().equals("stubborn"));
        long child = Long.parseLong(Files.readString(marker).strip());
        executions().cancel(CancelRequest.newBuilder().setId(queued.getId()).build());
        Execution cancelled = awaitExecution(queued.getId(),
                e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_CANCELLED);
        assertTrue(cancelled.getError().contains("killed by SIGKILL after 5 s"), cancelled.getError());
        assertTrue(Processes.awaitGone(child, Duration.ofSeconds(10)), "the script's child went with its group");
    }

    @Test
    void cancelStopsTheProcessWithSigterm() throws Exception {
        Path marker = dir.resolve("terminated.txt");
        Execution queued = run(Struct.newBuilder().putFields("mode", text("sleep"))
                .putFields("marker", text(marker.toString())).build());
        // The script says "sleeping" on stderr once its SIGTERM handler is set; the heartbeat brings it.
        awaitExecution(queued.getId(), e -> e.getMessage().equals("sleeping"));
        executions().cancel(CancelRequest.newBuilder().setId(queued.getId()).build());
        Execution cancelled = awaitExecution(queued.getId(),
                e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_CANCELLED);
        assertTrue(cancelled.getError().contains("cancelled"), cancelled.getError());
        assertEquals("SIGTERM", Files.readString(marker), "the script received SIGTERM");
    }
}
