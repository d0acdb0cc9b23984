package dev.runplane.server.security;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.cli.process.ProcessWorkerCommand;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.Keys;
import dev.runplane.server.testing.TestCertificates;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.RunRequest;
import dev.runplane.worker.Worker;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker command against a server with TLS and API keys, parsed as a user types it: with
 * {@code --tls-ca} and a {@code work} key it runs a real program per execution; without a key every
 * poll is refused with UNAUTHENTICATED and nothing is claimed.
 */
class WorkerOverTlsTest {

    /** Reads the inputs on stdin, prints a JSON object of outputs on stdout. */
    private static final String SCRIPT =
            "import json, sys; i = json.load(sys.stdin); print(json.dumps({'doubled': i['n'] * 2}))";

    @TempDir
    static Path dir;

    @Test
    void theWorkerCommandRunsOverTlsWithAWorkKeyAndIsRefusedWithout() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0);
        // The worker library logs through System.Logger, which is java.util.logging here.
        Logger workerLog = Logger.getLogger(Worker.class.getName());
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                warnings.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        workerLog.addHandler(capture);
        try (Application app = Application.start(config,
                OperationsConfig.defaults().withTls(certs.serverCert(), certs.serverKey(), null))) {
            String server = "localhost:" + app.port();
            ManagedChannel channel = Grpc.newChannelBuilder(server,
                    TlsChannelCredentials.newBuilder().trustManager(certs.caCert().toFile()).build()).build();
            try {
                // The first key ends the loopback bootstrap: from now on every call needs one.
                String admin = createKey(channel, null, KeyScope.KEY_SCOPE_ADMIN);
                String work = createKey(channel, admin, KeyScope.KEY_SCOPE_WORK);
                String client = createKey(channel, admin, KeyScope.KEY_SCOPE_RUN, KeyScope.KEY_SCOPE_READ);
                ExecutionServiceGrpc.ExecutionServiceBlockingStub executions =
                        Keys.withKey(ExecutionServiceGrpc.newBlockingStub(channel), client);

                Execution queued = executions.withDeadlineAfter(10, TimeUnit.SECONDS).run(RunRequest.newBuilder()
                        .setPipeline("tls-doubler").setInputs(Struct.newBuilder()
                                .putFields("n", Value.newBuilder().setNumberValue(21).build())).build()).getExecution();

                try (ProcessWorkerCommand.Running keyless = worker(server, certs, null)) {
                    await(() -> warnings.stream().anyMatch(w -> w.contains("UNAUTHENTICATED")),
                            "the keyless worker's polls are refused; log: " + warnings);
                }
                // The log line says what to do about it, not only what went wrong.
                String refused = warnings.stream().filter(w -> w.contains("UNAUTHENTICATED")).findFirst().orElseThrow();
                assertTrue(refused.contains("set RUNPLANE_API_KEY to a key with the `work` scope"), refused);
                assertTrue(refused.contains("queued work waits"), refused);
                assertEquals(ExecutionStatus.EXECUTION_STATUS_QUEUED, get(executions, queued.getId()).getStatus(),
                        "a worker without a key claims nothing");

                try (ProcessWorkerCommand.Running keyed = worker(server, certs, work)) {
                    Execution done = awaitExecution(executions, queued.getId(),
                            e -> e.getStatus() == ExecutionStatus.EXECUTION_STATUS_SUCCEEDED);
                    assertEquals(42, done.getOutputs().getFieldsOrThrow("doubled").getNumberValue());
                }
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            workerLog.removeHandler(capture);
        }
    }

    private static ProcessWorkerCommand.Running worker(String server, TestCertificates certs, String key) {
        List<String> args = new ArrayList<>(List.of("--server", server, "--tls-ca", certs.caCert().toString(),
                "--pipeline", "tls-doubler"));
        if (key != null) {
            args.addAll(List.of("--api-key", key));
        }
        args.addAll(List.of("--", "python3", "-c", SCRIPT));
        return CommandLine.populateCommand(new ProcessWorkerCommand(), args.toArray(String[]::new)).start();
    }

    private static String createKey(ManagedChannel channel, String admin, KeyScope... scopes) {
        return Keys.withKey(KeyServiceGrpc.newBlockingStub(channel), admin).withDeadlineAfter(10, TimeUnit.SECONDS)
                .createKey(CreateKeyRequest.newBuilder().addAllScopes(List.of(scopes)).setDescription("tls worker test")
                        .build()).getToken();
    }

    private static Execution get(ExecutionServiceGrpc.ExecutionServiceBlockingStub executions, String id) {
        return executions.withDeadlineAfter(10, TimeUnit.SECONDS)
                .getExecution(GetExecutionRequest.newBuilder().setId(id).build()).getExecution();
    }

    private static Execution awaitExecution(ExecutionServiceGrpc.ExecutionServiceBlockingStub executions, String id,
                                            Predicate<Execution> condition) throws InterruptedException {
        return Eventually.await(Duration.ofSeconds(30), "execution " + id, () -> get(executions, id), condition);
    }

    private static void await(BooleanSupplier condition, String message) throws InterruptedException {
        Eventually.await(Duration.ofSeconds(30), message, condition::getAsBoolean);
    }
}
