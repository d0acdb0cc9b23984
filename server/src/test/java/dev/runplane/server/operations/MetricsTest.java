package dev.runplane.server.operations;

import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.RunRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Prometheus metrics on --metrics-port, scraped over HTTP. */
class MetricsTest {

    private static final Pattern RUN_COUNT = Pattern.compile(
            "runplane_rpc_seconds_count\\{code=\"OK\",method=\"runplane\\.v1\\.ExecutionService/Run\"} (\\d+)");

    @Test
    void scrapeShowsTheRpcCounterOfACallJustMade() throws Exception {
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0);
        try (Application app = Application.start(config, OperationsConfig.defaults().withMetricsPort(0))) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
            try {
                ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .run(RunRequest.newBuilder().setPipeline("scraped").build());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + app.operations().metricsPort() + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            Matcher count = RUN_COUNT.matcher(response.body());
            assertTrue(count.find(), response.body());
            assertEquals("1", count.group(1));
            assertTrue(response.body().contains("runplane_db_pool_max"), response.body());
            assertTrue(response.body().contains("runplane_db_up 1.0"), response.body());
        }
    }
}
