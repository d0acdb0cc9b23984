package dev.runplane.server.operations;

import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestPostgres;
import com.google.protobuf.util.Durations;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
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

    private static final Pattern WATCH_STREAMS = Pattern.compile("(?m)^runplane_watch_streams (\\S+)$");
    private static final Pattern HUB_LAG = Pattern.compile("(?m)^runplane_event_hub_lag_seconds (\\S+)$");

    private static String scrape(Application app) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + app.operations().metricsPort() + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    private static double gauge(Pattern pattern, String body) {
        Matcher m = pattern.matcher(body);
        assertTrue(m.find(), body);
        return Double.parseDouble(m.group(1));
    }

    /** Scrapes until the gauge shows {@code expected} (a stream joins the hub asynchronously). */
    private static void awaitGauge(Application app, Pattern pattern, double expected) throws Exception {
        Eventually.await(Duration.ofSeconds(10), expected + " in the scrape", () -> scrape(app),
                body -> gauge(pattern, body) == expected);
    }

    @Test
    void scrapeShowsOpenWatchStreamsAndTheEventHubLag() throws Exception {
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0);
        try (Application app = Application.start(config, OperationsConfig.defaults().withMetricsPort(0))) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
            try {
                awaitGauge(app, WATCH_STREAMS, 0);
                String id = ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .run(RunRequest.newBuilder().setPipeline("watched").build()).getExecution().getId();
                Context.CancellableContext watching = Context.current().withCancellation();
                watching.run(() -> ExecutionServiceGrpc.newStub(channel).watchExecution(
                        WatchExecutionRequest.newBuilder().setId(id).build(), new StreamObserver<>() {
                            @Override
                            public void onNext(WatchExecutionResponse value) {
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                            }
                        }));
                awaitGauge(app, WATCH_STREAMS, 1);
                watching.cancel(null);
                awaitGauge(app, WATCH_STREAMS, 0);
                // The lag is a duration since the hub last caught up: present, finite, never negative.
                double lag = gauge(HUB_LAG, scrape(app));
                assertTrue(lag >= 0 && Double.isFinite(lag), "lag " + lag);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

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
            assertTrue(response.body().contains("runplane_db_pool_max{pool=\"main\"}"), response.body());
            assertTrue(response.body().contains("runplane_db_pool_max{pool=\"custom-plans\"}"), response.body());
            assertTrue(response.body().contains("runplane_db_up 1.0"), response.body());
        }
    }

    /**
     * The executions gauge: queued, running and cancelling counted through their partial indexes
     * every 10 s, finished ones (a read of the whole history) every 5 minutes; both at start.
     */
    @Test
    void scrapeShowsExecutionsByStatusActiveAndFinished() throws Exception {
        String url = TestPostgres.url(TestPostgres.newDatabase());
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(url).withPort(0);
        try (Application before = Application.start(config)) { // three Runs: one succeeds, one runs
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", before.port()).usePlaintext().build();
            try {
                var executions = ExecutionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
                var workers = WorkerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
                for (int i = 0; i < 3; i++) {
                    executions.run(RunRequest.newBuilder().setPipeline("counted").build());
                }
                PollRequest poll = PollRequest.newBuilder().setWorkerId("w").addPipelines("counted")
                        .setMaxWait(Durations.fromSeconds(5)).build();
                workers.complete(CompleteRequest.newBuilder()
                        .setLease(workers.poll(poll).getAssignments(0).getLease()).build());
                assertEquals(1, workers.poll(poll).getAssignmentsCount());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        try (Application app = Application.start(config, OperationsConfig.defaults().withMetricsPort(0))) {
            // The first refresh runs as the server starts; scrape until it has published.
            String body = Eventually.await(Duration.ofSeconds(10), "the first refresh in the scrape", () -> scrape(app),
                    scraped -> scraped.contains("runplane_executions{status=\"SUCCEEDED\"}")
                            && scraped.contains("runplane_executions{status=\"RUNNING\"}"));
            for (String status : new String[] {"QUEUED", "RUNNING", "SUCCEEDED"}) {
                assertEquals(1.0, gauge(Pattern.compile("(?m)^runplane_executions\\{status=\"" + status
                        + "\"} (\\S+)$"), body), status);
            }
            assertTrue(!body.contains("status=\"FAILED\""), "no row for a status that no execution has");
        }
    }
}
