package dev.runplane.server.cli.client;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.runplane.client.StructJson;
import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.ListExecutionEventsResponse;
import dev.runplane.v1.SearchResponse;
import dev.runplane.v1.StepStatus;
import dev.runplane.v1.TriggerKind;
import dev.runplane.worker.TaskFailure;
import dev.runplane.worker.Worker;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every client command of the launcher against a real server on a loopback Netty port, with a real
 * worker (the Java worker library through WorkerService): what each prints (tables read back, JSON
 * parsed), and each exit code from an execution really in that state.
 */
class ClientCommandsTest {

    private static Application app;
    private static String server;
    private static ManagedChannel channel;
    private static Worker worker;
    /** Released by the test that holds the "gated" execution at its first step. */
    private static final AtomicReference<CountDownLatch> gate = new AtomicReference<>(new CountDownLatch(1));

    @BeforeAll
    static void start() {
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0);
        // A reaper every 100 ms, so that a 1 s max runtime ends TIMED_OUT soon after.
        app = Application.start(config, OperationsConfig.defaults(), new WorkerSettings(Duration.ofMillis(100),
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(5), WorkerSettings.DEFAULT.wakeUpFallback()));
        server = "127.0.0.1:" + app.port();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
        worker = Worker.builder(channel).workerId("cli-test-worker").concurrency(8)
                .leaseDuration(Duration.ofSeconds(3)).heartbeatInterval(Duration.ofMillis(300))
                .handle("ok", task -> {
                    Struct.Builder outputs = Struct.newBuilder().putFields("greeting",
                            text("hello " + task.inputs().getFieldsOrDefault("day", text("")).getStringValue()));
                    if (task.inputs().containsFields("n")) {
                        outputs.putFields("n", task.inputs().getFieldsOrThrow("n"));
                    }
                    return outputs.build();
                })
                .handle("broken", task -> {
                    throw TaskFailure.permanent("disk full on /data");
                })
                .handle("slow", task -> {
                    CountDownLatch stopped = new CountDownLatch(1);
                    task.onCancel(stopped::countDown);
                    stopped.await(60, TimeUnit.SECONDS);
                    if (task.cancelRequested()) {
                        throw new InterruptedException("cancelled"); // acknowledges the cancel: CANCELLED
                    }
                    return null;
                })
                .handle("gated", task -> {
                    task.stepStarted("load");
                    task.progress("loading rows");
                    gate.get().await(60, TimeUnit.SECONDS);
                    task.stepEnded("load", StepStatus.STEP_STATUS_SUCCEEDED, "");
                    return Struct.newBuilder().putFields("rows", Value.newBuilder().setNumberValue(42).build()).build();
                })
                .build().start();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        worker.close();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        app.close();
    }

    private static Value text(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }

    /** {@code runplane COMMAND --server <the test server> ARGS}. */
    private static Cli.Result cli(String command, String... args) {
        List<String> all = new ArrayList<>(List.of(command, "--server", server));
        all.addAll(List.of(args));
        return Cli.run(all.toArray(String[]::new));
    }

    private static Execution execution(String json) throws Exception {
        Execution.Builder execution = Execution.newBuilder();
        JsonFormat.parser().merge(json, execution);
        return execution.build();
    }

    private static ExecutionServiceGrpc.ExecutionServiceBlockingStub executions() {
        return ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static Execution server(String id) {
        return executions().getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution();
    }

    /** Queues an execution of a pipeline no worker runs, and answers its id. */
    private static String queued(String pipeline, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(pipeline, "-o", "json"));
        all.addAll(List.of(args));
        Cli.Result run = cli("run", all.toArray(String[]::new));
        assertEquals(0, run.code(), run.toString());
        return execution(run.out()).getId();
    }

    @Test
    void runWaitPrintsTheOutputsAndExitsZeroOnceSucceeded() {
        Cli.Result run = cli("run", "ok", "-i", "day=2026-11-22", "-i", "n=3", "-l", "team=red", "--wait");
        assertEquals(ExitCodes.OK, run.code(), run.toString());
        Map<String, String> fields = Cli.fields(run.out());
        assertEquals("SUCCEEDED", fields.get("status"), run.out());
        assertEquals("ok", fields.get("pipeline"));
        assertEquals("team=red", fields.get("labels"));
        assertEquals("cli-test-worker", fields.get("worker"));
        assertEquals(StructJson.read("{\"day\":\"2026-11-22\",\"n\":3}"), StructJson.read(fields.get("inputs")));
        assertEquals(StructJson.read("{\"greeting\":\"hello 2026-11-22\",\"n\":3}"), StructJson.read(fields.get("outputs")));
        assertTrue(fields.get("outputs").contains("\"n\":3") && !fields.get("outputs").contains("3.0"),
                "whole numbers are shown as integers: " + fields.get("outputs"));
        assertTrue(run.err().contains("Queued " + fields.get("id")), run.err());
        Execution stored = server(fields.get("id"));
        assertEquals(TriggerKind.TRIGGER_KIND_MANUAL, stored.getTrigger().getKind());
        assertEquals(System.getProperty("user.name"), stored.getTrigger().getActor());
    }

    @Test
    void inputsAreNumbersBooleansJsonOrStrings(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("inputs.json");
        Files.writeString(file, "{\"day\": \"2026-01-01\", \"kept\": [true]}");
        Cli.Result run = cli("run", "idle", "--inputs-file", file.toString(), "-i", "n=3", "-i", "x=2.5", "-i", "ok=true",
                "-i", "cfg={\"a\":1}", "-i", "xs=[1,\"b\"]", "-i", "day=2026-11-22", "-i", "id=007", "-i", "nothing=null",
                "-i", "words=hello world", "--priority", "7", "--mode", "experiment", "--max-attempts", "3",
                "--max-runtime", "90s", "--request-id", "typed-inputs", "-o", "json");
        assertEquals(0, run.code(), run.toString());
        Execution e = execution(run.out());
        Struct inputs = e.getInputs();
        assertEquals(3.0, inputs.getFieldsOrThrow("n").getNumberValue());
        assertEquals(2.5, inputs.getFieldsOrThrow("x").getNumberValue());
        assertTrue(inputs.getFieldsOrThrow("ok").getBoolValue());
        assertEquals(1.0, inputs.getFieldsOrThrow("cfg").getStructValue().getFieldsOrThrow("a").getNumberValue());
        assertEquals(2, inputs.getFieldsOrThrow("xs").getListValue().getValuesCount());
        assertEquals("2026-11-22", inputs.getFieldsOrThrow("day").getStringValue(), "-i wins over the file");
        assertEquals(Value.KindCase.LIST_VALUE, inputs.getFieldsOrThrow("kept").getKindCase());
        assertEquals("007", inputs.getFieldsOrThrow("id").getStringValue());
        assertEquals("null", inputs.getFieldsOrThrow("nothing").getStringValue());
        assertEquals("hello world", inputs.getFieldsOrThrow("words").getStringValue());
        assertEquals(7, e.getPriority());
        assertEquals("EXECUTION_MODE_EXPERIMENT", e.getMode().name());
        assertEquals(3, e.getMaxAttempts());
        assertEquals(90, e.getMaxRuntime().getSeconds());
        // The same request id answers the same execution.
        Cli.Result again = cli("run", "idle", "--inputs-file", file.toString(), "-i", "n=3", "-i", "x=2.5", "-i", "ok=true",
                "-i", "cfg={\"a\":1}", "-i", "xs=[1,\"b\"]", "-i", "day=2026-11-22", "-i", "id=007", "-i", "nothing=null",
                "-i", "words=hello world", "--priority", "7", "--mode", "experiment", "--max-attempts", "3",
                "--max-runtime", "90s", "--request-id", "typed-inputs", "-o", "json");
        assertEquals(e.getId(), execution(again.out()).getId(), again.toString());
    }

    @Test
    void aScheduledRunWaitsForItsTimeAndAChildNamesItsParent() throws Exception {
        String parent = queued("idle");
        Execution later = execution(cli("run", "idle", "--at", "2h", "--parent", parent, "-o", "json").out());
        long inTwoHours = System.currentTimeMillis() / 1000 + 7200;
        assertTrue(Math.abs(later.getScheduledFor().getSeconds() - inTwoHours) < 60, later.toString());
        assertEquals(parent, later.getParentId());
        Execution fixed = execution(cli("run", "idle", "--at", "2030-01-02T03:04:05Z", "-o", "json").out());
        assertEquals("2030-01-02T03:04:05Z", com.google.protobuf.util.Timestamps.toString(fixed.getScheduledFor()));
    }

    @Test
    void aFailedExecutionExitsThreeWithItsError() {
        Cli.Result run = cli("run", "broken", "--wait");
        assertEquals(ExitCodes.FAILED, run.code(), run.toString());
        Map<String, String> fields = Cli.fields(run.out());
        assertEquals("FAILED", fields.get("status"));
        assertTrue(fields.get("error").contains("disk full on /data"), run.out());
    }

    @Test
    void anExecutionPastItsMaxRuntimeExitsFour() {
        Cli.Result run = cli("run", "slow", "--max-runtime", "1s", "--wait", "--timeout", "60s");
        assertEquals(ExitCodes.TIMED_OUT, run.code(), run.toString());
        assertEquals("TIMED_OUT", Cli.fields(run.out()).get("status"));
    }

    @Test
    void aCancelledExecutionExitsFive() throws Exception {
        String id = queued("idle");
        Cli.Result cancel = cli("cancel", id, "--reason", "wrong day");
        assertEquals(ExitCodes.OK, cancel.code(), cancel.toString());
        assertEquals("CANCELLED", Cli.fields(cancel.out()).get("status"));
        Cli.Result await = cli("await", id);
        assertEquals(ExitCodes.CANCELLED, await.code(), await.toString());
        // A running one is CANCELLING until its worker stops, then CANCELLED: run --wait reports it.
        String running = queued("slow");
        Eventually.await(Duration.ofSeconds(30), "the worker claims it",
                () -> server(running).getStatus() == ExecutionStatus.EXECUTION_STATUS_RUNNING);
        assertEquals("CANCELLING", Cli.fields(cli("cancel", running).out()).get("status"));
        assertEquals(ExitCodes.CANCELLED, cli("await", running, "--timeout", "60s").code());
        // A finished execution cannot be cancelled: the server's refusal, exit code 1.
        String done = Cli.fields(cli("run", "ok", "--wait").out()).get("id");
        Cli.Result refused = cli("cancel", done);
        assertEquals(ExitCodes.ERROR, refused.code(), refused.toString());
        assertTrue(refused.err().startsWith("error: FAILED_PRECONDITION: "), refused.err());
    }

    @Test
    void aSkippedDuplicateExitsSix() throws Exception {
        String first = queued("idle", "--dedup-key", "only-one");
        Cli.Result second = cli("run", "idle", "--dedup-key", "only-one", "--wait");
        assertEquals(ExitCodes.SKIPPED, second.code(), second.toString());
        Map<String, String> fields = Cli.fields(second.out());
        assertEquals("SKIPPED", fields.get("status"));
        assertEquals(first, fields.get("duplicate of"));
        assertEquals(ExitCodes.SKIPPED, cli("await", fields.get("id")).code());
    }

    @Test
    void stillQueuedWhenTheTimeoutPassesExitsSeven() throws Exception {
        String id = queued("idle");
        Cli.Result await = cli("await", id, "--timeout", "1s");
        assertEquals(ExitCodes.STILL_RUNNING, await.code(), await.toString());
        Map<String, String> fields = Cli.fields(await.out());
        assertEquals("QUEUED", fields.get("status"));
        assertTrue(fields.get("position").matches("\\d+ in the queue of idle"), fields.toString());
        assertTrue(await.err().contains("still QUEUED after 1.0s (--timeout)"), await.err());
        Cli.Result run = cli("run", "idle", "--wait", "--timeout", "500ms", "-o", "json");
        assertEquals(ExitCodes.STILL_RUNNING, run.code(), run.toString());
        assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, execution(run.out()).getStatus());
    }

    @Test
    void anUnreachableServerExitsEight() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        for (String[] args : new String[][] {{"get", "x"}, {"run", "ok", "--wait"}, {"search"}, {"await", "x"}}) {
            List<String> all = new ArrayList<>(List.of(args));
            all.addAll(List.of("--server", "127.0.0.1:" + closed));
            Cli.Result result = Cli.run(all.toArray(String[]::new));
            assertEquals(ExitCodes.UNAVAILABLE, result.code(), result.toString());
            assertTrue(result.err().startsWith("error: UNAVAILABLE: cannot reach 127.0.0.1:" + closed), result.err());
            assertEquals(1, result.err().strip().lines().count(), "one line: " + result.err());
        }
    }

    @Test
    void usageErrorsExitTwoAndSayWhy() {
        String[][] cases = {
                {"run"}, // no pipeline
                {"run", "ok", "--timeout", "5s"},
                {"run", "ok", "--wait", "--watch"},
                {"run", "ok", "-i", "novalue"},
                {"run", "ok", "-i", "cfg={\"a\":"},
                {"run", "ok", "--at", "tomorrow"},
                {"run", "ok", "--mode", "fast"},
                {"search", "--status", "done"},
                {"search", "--limit", "5", "--all"},
                {"search", "-o", "yaml"},
                {"watch"},
                {"watch", "some-id", "--pipeline", "ok"},
                {"get"},
                {"await", "x", "--timeout", "soon"}};
        String[] why = {"PIPELINE", "--timeout needs --wait or --watch", "choose one", "-i expects key=value",
                "-i cfg: not valid JSON", "--at: 'tomorrow'", "--mode: 'fast'", "--status: 'done'", "choose one",
                "'yaml' is not one of table, json, jsonl", "name an execution", "filters go with watch --pipeline",
                "ID", "not a duration"};
        for (int i = 0; i < cases.length; i++) {
            Cli.Result result = cli(cases[i][0], java.util.Arrays.copyOfRange(cases[i], 1, cases[i].length));
            assertEquals(ExitCodes.USAGE, result.code(), String.join(" ", cases[i]) + "\n" + result);
            assertTrue(result.err().contains(why[i]), String.join(" ", cases[i]) + " should say " + why[i] + ": " + result.err());
        }
        assertEquals(ExitCodes.USAGE, Cli.run("frobnicate").code());
    }

    @Test
    void serverErrorsAreOneLineWithTheCodeAndTheField() {
        Cli.Result big = cli("run", "ok", "-i", "blob=" + "a".repeat(70_000));
        assertEquals(ExitCodes.ERROR, big.code(), big.toString());
        assertEquals("error: INVALID_ARGUMENT: inputs: must be at most 65536 bytes as JSON", big.err().strip());
        Cli.Result two = cli("run", "Not Valid", "--priority", "5000");
        assertEquals(ExitCodes.ERROR, two.code());
        assertTrue(two.err().startsWith("error: INVALID_ARGUMENT: pipeline: "), two.err());
        assertTrue(two.err().contains("; priority: must be from -1000 to 1000"), two.err());
        assertEquals(1, two.err().strip().lines().count(), two.err());
        Cli.Result missing = cli("get", "01a24305-6360-7052-ac61-ced1f2fb4fae");
        assertEquals(ExitCodes.ERROR, missing.code());
        assertTrue(missing.err().startsWith("error: NOT_FOUND: "), missing.err());
        assertTrue(missing.out().isEmpty(), missing.out());
    }

    @Test
    void getPrintsTheDetailOrTheProtoJson() throws Exception {
        String id = Cli.fields(cli("run", "ok", "-i", "day=2026-12-01", "--wait").out()).get("id");
        Execution stored = server(id);
        Cli.Result json = cli("get", id, "-o", "json");
        assertEquals(0, json.code(), json.toString());
        assertEquals(stored, execution(json.out()), "the proto JSON of GetExecution's execution");
        Cli.Result line = cli("get", id, "-o", "jsonl");
        assertEquals(1, line.out().strip().lines().count());
        assertEquals(stored, execution(line.out()));
        Map<String, String> fields = Cli.fields(cli("get", id).out());
        assertEquals(id, fields.get("id"));
        assertEquals("SUCCEEDED", fields.get("status"));
        assertEquals("1 of 1", fields.get("attempt"));
        assertTrue(fields.get("ended").endsWith("ago)") || fields.get("ended").endsWith("(now)"), fields.get("ended"));
        assertFalse(json.out().contains("\u001b["), "no colour off a terminal");
    }

    @Test
    void searchFiltersAndPagesByItself() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(0, queued("paged", "-l", "batch=b" + (i % 2)));
        }
        // Every match, newest first, three pages of at most 3 followed by the command itself.
        Cli.Result all = cli("search", "--pipeline", "paged", "--all", "--page-size", "3", "-o", "jsonl");
        assertEquals(0, all.code(), all.toString());
        List<String> found = new ArrayList<>();
        for (String line : all.out().strip().split("\n")) {
            found.add(execution(line).getId());
        }
        assertEquals(ids, found);
        // --limit stops early, and the table says more match.
        Cli.Result limited = cli("search", "--pipeline", "paged", "--limit", "4", "--page-size", "3");
        List<Map<String, String>> rows = Cli.rows(limited.out());
        assertEquals(ids.subList(0, 4), rows.stream().map(r -> r.get("ID")).toList(), limited.out());
        assertEquals(Set.of("QUEUED"), new HashSet<>(rows.stream().map(r -> r.get("STATUS")).toList()));
        assertEquals(Set.of("paged"), new HashSet<>(rows.stream().map(r -> r.get("PIPELINE")).toList()));
        assertTrue(limited.err().contains("more match"), limited.err());
        // Filters: labels, statuses, a time range, free text, an order; one JSON document.
        Cli.Result json = cli("search", "--pipeline", "paged", "-l", "batch=b0", "--status", "queued", "--since", "1h",
                "--order", "create_time asc", "-o", "json");
        SearchResponse.Builder page = SearchResponse.newBuilder();
        JsonFormat.parser().merge(json.out(), page);
        List<String> evens = List.of(ids.get(6), ids.get(4), ids.get(2), ids.get(0));
        assertEquals(evens, page.getExecutionsList().stream().map(Execution::getId).toList(), json.out());
        assertTrue(cli("search", "--pipeline", "paged", "--until", "1h", "-o", "jsonl").out().isBlank(),
                "none was created before an hour ago");
        assertTrue(cli("search", "--pipeline", "paged", "--status", "failed", "-o", "jsonl").out().isBlank());
        assertEquals(7, cli("search", "--query", "paged", "--status", "QUEUED", "--pipeline", "paged", "-o", "jsonl")
                .out().strip().lines().count());
    }

    @Test
    void eventsListTheWholeHistory() throws Exception {
        String id = Cli.fields(cli("run", "ok", "--wait").out()).get("id");
        Cli.Result table = cli("events", id);
        assertEquals(0, table.code(), table.toString());
        List<Map<String, String>> rows = Cli.rows(table.out());
        assertEquals(List.of("QUEUED", "RUNNING", "SUCCEEDED"), rows.stream().map(r -> r.get("TO")).toList(), table.out());
        assertEquals(List.of("-", "QUEUED", "RUNNING"), rows.stream().map(r -> r.get("FROM")).toList());
        assertEquals("worker:cli-test-worker", rows.get(2).get("ACTOR"));
        Cli.Result jsonl = cli("events", id, "-o", "jsonl");
        List<ExecutionEvent> events = new ArrayList<>();
        for (String line : jsonl.out().strip().split("\n")) {
            ExecutionEvent.Builder event = ExecutionEvent.newBuilder();
            JsonFormat.parser().merge(line, event);
            events.add(event.build());
        }
        assertEquals(List.of(1L, 2L, 3L), events.stream().map(ExecutionEvent::getRevision).toList());
        ListExecutionEventsResponse.Builder document = ListExecutionEventsResponse.newBuilder();
        JsonFormat.parser().merge(cli("events", id, "-o", "json").out(), document);
        assertEquals(events, document.getEventsList());
    }

    @Test
    void rerunChangesOnlyTheInputsItNames() throws Exception {
        String id = Cli.fields(cli("run", "ok", "-i", "day=2026-11-22", "-i", "n=4", "--wait").out()).get("id");
        Cli.Result rerun = cli("rerun", id, "-i", "day=2026-11-23", "--wait");
        assertEquals(0, rerun.code(), rerun.toString());
        Map<String, String> fields = Cli.fields(rerun.out());
        assertEquals(id, fields.get("rerun of"));
        assertEquals(StructJson.read("{\"greeting\":\"hello 2026-11-23\",\"n\":4}"), StructJson.read(fields.get("outputs")));
        Execution same = execution(cli("rerun", id, "--priority", "9", "-o", "json").out());
        assertEquals(9, same.getPriority());
        assertEquals(server(id).getInputs(), same.getInputs(), "without -i the inputs are the earlier ones");
    }

    @Test
    void watchShowsALinePerChangeAndEndsWithTheExitCode() throws Exception {
        gate.set(new CountDownLatch(1));
        String id = queued("gated");
        AtomicReference<Cli.Result> watched = new AtomicReference<>();
        java.io.StringWriter live = new java.io.StringWriter();
        Thread watcher = new Thread(() -> {
            java.io.StringWriter err = new java.io.StringWriter();
            int code = new picocli.CommandLine(new dev.runplane.server.cli.Main())
                    .setOut(new java.io.PrintWriter(live, true)).setErr(new java.io.PrintWriter(err, true))
                    .execute("watch", id, "--server", server);
            watched.set(new Cli.Result(code, live.toString(), err.toString()));
        });
        watcher.start();
        // The worker reports its step and progress by heartbeat; the watch prints them as they come.
        Eventually.await(Duration.ofSeconds(30), "a line with the step", () -> live.toString().contains("step load"));
        gate.get().countDown();
        watcher.join(TimeUnit.SECONDS.toMillis(60));
        Cli.Result result = watched.get();
        assertEquals(ExitCodes.OK, result.code(), String.valueOf(result));
        List<String> lines = result.out().strip().lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("RUNNING  step load  loading rows  ")), result.out());
        assertTrue(lines.get(lines.size() - 1).startsWith("SUCCEEDED  step load"), result.out());
        assertEquals(lines.size(), new HashSet<>(lines).size(), "a line per change, none repeated: " + result.out());
        // -o jsonl: the events themselves; run --watch the same, with the exit code of how it ended.
        Cli.Result failed = cli("run", "broken", "--watch", "-o", "jsonl");
        assertEquals(ExitCodes.FAILED, failed.code(), failed.toString());
        List<String> jsonl = failed.out().strip().lines().toList();
        ExecutionEvent.Builder last = ExecutionEvent.newBuilder();
        JsonFormat.parser().merge(jsonl.get(jsonl.size() - 1), last);
        assertEquals(ExecutionStatus.EXECUTION_STATUS_FAILED, last.getToStatus());
        // -o json: one document, the execution as it ended (its outputs included).
        Cli.Result json = cli("run", "ok", "-i", "day=2026-11-30", "--watch", "-o", "json");
        assertEquals(ExitCodes.OK, json.code(), json.toString());
        assertEquals("hello 2026-11-30", execution(json.out()).getOutputs().getFieldsOrThrow("greeting").getStringValue());
    }

    @Test
    void watchAPipelinePrintsEachChangeOfItsExecutions() throws Exception {
        Thread[] holder = new Thread[1];
        java.io.StringWriter out = new java.io.StringWriter();
        int before = app.eventHub().watchers();
        holder[0] = new Thread(() -> new picocli.CommandLine(new dev.runplane.server.cli.Main())
                .setOut(new java.io.PrintWriter(out, true)).setErr(new java.io.PrintWriter(new java.io.StringWriter(), true))
                .execute("watch", "--pipeline", "watched", "-l", "team=blue", "-o", "jsonl", "--server", server));
        holder[0].start();
        Eventually.await(Duration.ofSeconds(30), "the watch is open", () -> app.eventHub().watchers() > before);
        String other = queued("watched", "-l", "team=green");
        String id = queued("watched", "-l", "team=blue");
        cli("cancel", id);
        Eventually.await(Duration.ofSeconds(30), "the cancel is shown", () -> out.toString().contains("EXECUTION_STATUS_CANCELLED"));
        holder[0].interrupt(); // Ctrl-C, in this JVM
        holder[0].join(TimeUnit.SECONDS.toMillis(30));
        List<ExecutionEvent> events = new ArrayList<>();
        for (String line : out.toString().strip().split("\n")) {
            dev.runplane.v1.WatchExecutionsResponse.Builder message = dev.runplane.v1.WatchExecutionsResponse.newBuilder();
            JsonFormat.parser().merge(line, message);
            if (message.hasEvent()) {
                events.add(message.getEvent());
            }
        }
        assertEquals(List.of(id, id), events.stream().map(ExecutionEvent::getExecutionId).toList(), out.toString());
        assertEquals(List.of(ExecutionStatus.EXECUTION_STATUS_QUEUED, ExecutionStatus.EXECUTION_STATUS_CANCELLED),
                events.stream().map(ExecutionEvent::getToStatus).toList());
        assertFalse(out.toString().contains(other));
    }

    @Test
    void queuesAndWorkersAreTablesOrJson() throws Exception {
        String first = queued("lined");
        String second = queued("lined");
        assertEquals("2 in the queue of lined", Cli.fields(cli("get", second).out()).get("position"));
        assertEquals("1 in the queue of lined", Cli.fields(cli("get", first).out()).get("position"));
        Cli.Result table = cli("queues", "--pipeline", "lined", "--pipeline", "ok");
        assertEquals(0, table.code(), table.toString());
        List<Map<String, String>> rows = Cli.rows(table.out());
        Map<String, String> lined = rows.stream().filter(r -> r.get("PIPELINE").equals("lined")).findFirst().orElseThrow();
        assertEquals("2", lined.get("QUEUED"));
        assertEquals("0", lined.get("RUNNING"));
        assertEquals("0", lined.get("WORKERS"));
        assertTrue(lined.get("OLDEST QUEUED").endsWith("ago") || lined.get("OLDEST QUEUED").equals("now"), lined.toString());
        Map<String, String> ok = rows.stream().filter(r -> r.get("PIPELINE").equals("ok")).findFirst().orElseThrow();
        assertEquals("1", ok.get("WORKERS"), "the test's worker polls ok: " + table.out());
        dev.runplane.v1.ListQueuesResponse.Builder queues = dev.runplane.v1.ListQueuesResponse.newBuilder();
        JsonFormat.parser().merge(cli("queues", "--pipeline", "lined", "-o", "json").out(), queues);
        assertEquals(2, queues.getQueues(0).getQueuedCount());
        // The worker is seen by its polls (recorded every few seconds at most).
        Map<String, String> seen = Eventually.awaitPresent(Duration.ofSeconds(30), "the worker is listed",
                () -> Cli.rows(cli("workers", "--pipeline", "ok").out()).stream()
                        .filter(r -> r.get("WORKER").equals("cli-test-worker")).findFirst());
        assertTrue(seen.get("PIPELINES").contains("ok"), seen.toString());
        assertEquals("-", seen.get("KEY"), "no keys on this server");
        List<String> lines = cli("workers", "-o", "jsonl").out().strip().lines().toList();
        dev.runplane.v1.Worker.Builder worker = dev.runplane.v1.Worker.newBuilder();
        JsonFormat.parser().merge(lines.get(0), worker);
        assertEquals("cli-test-worker", worker.getWorkerId());
    }

    @Test
    void watchAPipelineStartsWithTheCurrentState() throws Exception {
        String before = queued("snapped");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Thread watch = new Thread(() -> new picocli.CommandLine(new dev.runplane.server.cli.Main())
                .setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute("watch", "--pipeline", "snapped", "--server", server));
        watch.start();
        Eventually.await(Duration.ofSeconds(30), "the snapshot's end", () -> err.toString().contains("changes follow"));
        String after = queued("snapped");
        Eventually.await(Duration.ofSeconds(30), "the new execution", () -> out.toString().contains(after));
        watch.interrupt();
        watch.join(TimeUnit.SECONDS.toMillis(30));
        List<String> lines = out.toString().strip().lines().toList();
        assertEquals(2, lines.size(), out.toString());
        assertTrue(lines.get(0).matches("\\S+  " + before + "  snapped  now QUEUED"), lines.get(0));
        assertTrue(lines.get(1).matches("\\S+  " + after + "  snapped  - -> QUEUED"), lines.get(1));
        assertTrue(err.toString().contains("(1 executions as they are now; changes follow)"), err.toString());
    }

    @Test
    void everyCommandHasHelpWithAnExampleAndTheExitCodes() {
        for (String command : List.of("run", "get", "search", "watch", "await", "cancel", "rerun", "events", "queues",
                "workers")) {
            Cli.Result help = Cli.run(command, "--help");
            assertEquals(0, help.code(), command);
            assertTrue(help.out().contains("Examples:\n  runplane " + command), command + ": " + help.out());
            assertTrue(help.out().contains("Exit codes:\n  0   done"), command + ": " + help.out());
            assertTrue(help.out().contains("  8   the server could not be reached"), command);
            assertTrue(help.out().contains("--server"), command);
        }
        assertTrue(Cli.run("--help").out().contains("Commands:"));
    }

    /** What Main.main runs for a client command: a root with that command alone, answering the same. */
    @Test
    void theLaunchersShortPathAnswersAsTheWholeTreeDoes() throws Exception {
        String id = queued("idle");
        for (String[] args : new String[][] {{"get", id, "-o", "json"}, {"get", "--help"}, {"get"},
                {"search", "--pipeline", "idle", "--limit", "1", "-o", "jsonl"}, {"await", id, "--timeout", "200ms", "-o", "json"}}) {
            List<String> all = new ArrayList<>(List.of(args));
            all.addAll(List.of("--server", server));
            java.io.StringWriter out = new java.io.StringWriter();
            java.io.StringWriter err = new java.io.StringWriter();
            int code = ClientLauncher.forArguments(all.toArray(String[]::new)).setOut(new java.io.PrintWriter(out, true))
                    .setErr(new java.io.PrintWriter(err, true)).execute(all.toArray(String[]::new));
            Cli.Result whole = Cli.run(all.toArray(String[]::new));
            assertEquals(whole.code(), code, String.join(" ", args));
            assertEquals(whole.out().replaceAll("\"(waitingTime|updateTime)\": ?\"[^\"]*\"", ""),
                    out.toString().replaceAll("\"(waitingTime|updateTime)\": ?\"[^\"]*\"", ""), String.join(" ", args));
            assertEquals(whole.err(), err.toString(), String.join(" ", args));
        }
        assertEquals(null, ClientLauncher.forArguments("completion"), "the whole tree: it lists every command");
        assertEquals(null, ClientLauncher.forArguments("--port", "0"), "the server");
        assertEquals(null, ClientLauncher.forArguments());
    }

    @Test
    void completionIsABashScriptForEveryCommand(@TempDir Path dir) throws Exception {
        Cli.Result completion = Cli.run("completion");
        assertEquals(0, completion.code(), completion.toString());
        assertTrue(completion.out().contains("complete -F _complete_runplane"), completion.out().substring(0, 300));
        for (String command : List.of("run", "search", "watch", "await", "queues", "workers", "keys", "worker")) {
            assertTrue(completion.out().contains(command), command);
        }
        assertTrue(completion.out().contains("--dedup-key"));
        // A real bash sources it and completes with it.
        Path script = dir.resolve("runplane-completion.bash");
        Files.writeString(script, completion.out());
        Process bash = new ProcessBuilder("bash", "-c", "source '" + script + "' && complete -p runplane")
                .redirectErrorStream(true).start();
        String said = new String(bash.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, bash.exitValue(), said);
        assertTrue(said.contains("-F _complete_runplane") && said.strip().endsWith("runplane"), said);
    }
}
