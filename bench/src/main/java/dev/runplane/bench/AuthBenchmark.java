package dev.runplane.bench;

import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.RunRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What an API key costs per call: GetExecution over a real Netty port, first with no key (loopback
 * bootstrap), then with a key, and how often each phase read the api_keys table: a key is read
 * again only when its 2 s cache entry expires, not per call. Usage: bench/run AuthBenchmark [seconds per phase, default 10] [concurrency, default 16]
 */
public final class AuthBenchmark {

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        Path data = Files.createTempDirectory("runplane-auth-bench");
        ServerConfig config = ServerConfig.defaults().withDataDir(data).withDurableEmbedded(false).withPort(0);
        try (Application app = Application.start(config, OperationsConfig.defaults())) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
            String id = ExecutionServiceGrpc.newBlockingStub(channel)
                    .run(RunRequest.newBuilder().setPipeline("bench").build()).getExecution().getId();
            ExecutionServiceGrpc.ExecutionServiceFutureStub open = ExecutionServiceGrpc.newFutureStub(channel);
            phase("warm-up (JIT), no key", open, id, Math.max(1, seconds / 2), concurrency, app);
            phase("no key (loopback bootstrap)", open, id, seconds, concurrency, app);
            String token = KeyServiceGrpc.newBlockingStub(channel).createKey(CreateKeyRequest.newBuilder()
                    .addScopes(KeyScope.KEY_SCOPE_READ).build()).getToken();
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
            phase("with an API key", open.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)), id,
                    seconds, concurrency, app);
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static void phase(String name, ExecutionServiceGrpc.ExecutionServiceFutureStub stub, String id,
                              int seconds, int concurrency, Application app) throws Exception {
        Semaphore permits = new Semaphore(concurrency);
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        GetExecutionRequest request = GetExecutionRequest.newBuilder().setId(id).build();
        long readsBefore = keyTableReads(app);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            permits.acquire();
            var future = stub.getExecution(request);
            future.addListener(() -> {
                try {
                    future.get();
                    ok.incrementAndGet();
                } catch (Exception e) {
                    failed.incrementAndGet();
                } finally {
                    permits.release();
                }
            }, Runnable::run);
        }
        permits.acquire(concurrency);
        double elapsed = (System.nanoTime() - start) / 1e9;
        Thread.sleep(1500); // backends report table statistics at most once a second
        long reads = keyTableReads(app) - readsBefore;
        System.out.printf("%-28s %8.0f calls/s  %d ok  %d failed  %d reads of api_keys (%.5f per call)%n",
                name, ok.get() / elapsed, ok.get(), failed.get(), reads, (double) reads / Math.max(1, ok.get()));
    }

    /** Scans of the api_keys table so far: each is one key lookup (or "does any key exist?"). */
    private static long keyTableReads(Application app) throws Exception {
        var address = app.database().address();
        try (Connection c = DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password());
             Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) "
                    + "FROM pg_stat_user_tables WHERE relname = 'api_keys'")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
