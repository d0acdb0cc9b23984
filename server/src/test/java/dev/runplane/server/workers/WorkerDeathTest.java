package dev.runplane.server.workers;

import dev.runplane.server.Application;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.Processes;
import dev.runplane.server.testing.ServerProcess;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.RunRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker JVM killed with SIGKILL takes its running scripts with it, and their children: nothing of
 * an attempt keeps running its side effects while the execution is re-queued and retried elsewhere.
 * The worker is a real process of its own ({@link ServerProcess}), the script a real shell.
 */
class WorkerDeathTest {

    /** Starts a child that would outlive the script by ten minutes, says both pids, and waits for it. */
    private static final String SCRIPT = "sleep 600 & echo \"$$ $!\" > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"; wait";

    @Test
    void sigkillOfTheWorkerKillsItsScriptAndTheScriptsChildren(@TempDir Path dir) throws Exception {
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()));
        try (Application app = Application.start(config,
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), WorkerSettings.DEFAULT)) {
            Path pids = dir.resolve("pids");
            ServerProcess worker = ServerProcess.start(dir.resolve("worker.log"), "worker",
                    "--server", "127.0.0.1:" + app.port(), "--pipeline", "orphans", "--",
                    "sh", "-c", SCRIPT, pids.toString());
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
            long[] script;
            try {
                ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .run(RunRequest.newBuilder().setPipeline("orphans").build());
                script = awaitPids(pids, worker);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            try {
                assertEquals(2, script.length, Arrays.toString(script));
                assertTrue(Processes.alive(script[0]) && Processes.alive(script[1]), "the script and its child run");

                worker.process().destroyForcibly(); // SIGKILL: no shutdown hook runs
                assertTrue(worker.process().waitFor(10, TimeUnit.SECONDS), "the worker JVM died");

                assertTrue(Processes.awaitGone(script[0], Duration.ofSeconds(5)),
                        "the script died with its worker; worker log:\n" + worker.log());
                assertTrue(Processes.awaitGone(script[1], Duration.ofSeconds(5)),
                        "the script's child died with its worker; worker log:\n" + worker.log());
            } finally {
                for (long pid : script) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // never leave them behind
                }
            }
        }
    }

    /** The script's pid and its child's, once the script has written them (60 s at most). */
    private static long[] awaitPids(Path file, ServerProcess worker) throws Exception {
        boolean written = Eventually.within(Duration.ofSeconds(60), () -> {
            if (Files.exists(file)) {
                return true;
            }
            assertTrue(worker.process().isAlive(), "the worker exited; its log:\n" + worker.log());
            return false;
        });
        assertTrue(written, "the script did not start; worker log:\n" + worker.log());
        return Arrays.stream(Files.readString(file).strip().split(" ")).mapToLong(Long::parseLong).toArray();
    }
}
