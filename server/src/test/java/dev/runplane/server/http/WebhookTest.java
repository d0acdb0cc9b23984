package dev.runplane.server.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.runplane.server.testing.Curl;
import dev.runplane.server.testing.Keys;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.PollRequest;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Webhooks over a real port: {@code POST /v1/pipelines/{pipeline}/runs} with a JSON object queues a
 * Run through the Run RPC: inputs, Idempotency-Key, labels, mode, priority, the trigger, ?wait, keys.
 */
class WebhookTest {

    private static TestServer server;
    private static TestServer keyed;

    @BeforeAll
    static void start() {
        server = TestServer.startWithHttp();
        keyed = TestServer.startWithHttp();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        keyed.close();
        server.close();
    }

    private static URI hook(TestServer on, String pipelineAndQuery) {
        return on.http().resolve("/v1/pipelines/" + pipelineAndQuery);
    }

    private static JsonObject json(HttpResponse<String> response) {
        return JsonParser.parseString(response.body()).getAsJsonObject();
    }

    @Test
    void aJsonBodyQueuesARunWithItAsInputs() {
        HttpResponse<String> response = Curl.postJson(hook(server, "nightly/runs"), "{\"day\":\"2026-12-04\",\"n\":3}");
        assertEquals(202, response.statusCode(), response.body());
        JsonObject execution = json(response);
        assertEquals("nightly", execution.get("pipeline").getAsString());
        assertEquals("EXECUTION_STATUS_QUEUED", execution.get("status").getAsString());
        assertEquals("2026-12-04", execution.getAsJsonObject("inputs").get("day").getAsString());
        assertEquals(3, execution.getAsJsonObject("inputs").get("n").getAsInt());
        assertEquals("TRIGGER_KIND_EVENT", execution.getAsJsonObject("trigger").get("kind").getAsString());
        assertEquals("webhook", execution.getAsJsonObject("trigger").get("actor").getAsString());
        // Without an Idempotency-Key, each post is a run of its own.
        String again = json(Curl.postJson(hook(server, "nightly/runs"), "{\"day\":\"2026-12-04\",\"n\":3}"))
                .get("id").getAsString();
        assertNotEquals(execution.get("id").getAsString(), again);
        // An empty body is a run without inputs.
        assertEquals(202, Curl.postJson(hook(server, "nightly/runs"), "").statusCode());
    }

    @Test
    void theIdempotencyKeyIsTheRequestId() {
        String first = json(Curl.postJson(hook(server, "billing/runs"), "{\"invoice\":7}", "Idempotency-Key", "inv-7"))
                .get("id").getAsString();
        HttpResponse<String> repeated = Curl.postJson(hook(server, "billing/runs"), "{\"invoice\":7}",
                "Idempotency-Key", "inv-7");
        assertEquals(202, repeated.statusCode());
        assertEquals(first, json(repeated).get("id").getAsString(), "same key: the same execution");
        HttpResponse<String> conflicting = Curl.postJson(hook(server, "billing/runs"), "{\"invoice\":8}",
                "Idempotency-Key", "inv-7");
        assertEquals(409, conflicting.statusCode(), conflicting.body());
        assertEquals("already_exists", json(conflicting).get("code").getAsString());
    }

    @Test
    void labelsModeAndPriorityComeFromTheQuery() {
        JsonObject execution = json(Curl.postJson(hook(server, "train/runs?labels=twin:pump-7&labels=doc:42"
                + "&mode=experiment&priority=10"), "{}"));
        assertEquals("pump-7", execution.getAsJsonObject("labels").get("twin").getAsString());
        assertEquals("42", execution.getAsJsonObject("labels").get("doc").getAsString());
        assertEquals("EXECUTION_MODE_EXPERIMENT", execution.get("mode").getAsString());
        assertEquals(10, execution.get("priority").getAsInt());
    }

    @Test
    void badRequestsNameTheirField() {
        for (String[] c : new String[][] {{"p/runs?labels=nocolon", "labels"}, {"p/runs?mode=fast", "mode"},
                {"p/runs?priority=high", "priority"}, {"p/runs?priority=5000", "priority"},
                {"p/runs?colour=red", "colour"}, {"Not%20Valid/runs", "pipeline"}, {"p/runs?wait=10m", "wait"},
                {"p/runs?wait=soon", "wait"}}) {
            HttpResponse<String> response = Curl.postJson(hook(server, c[0]), "{}");
            assertEquals(400, response.statusCode(), c[0] + ": " + response.body());
            JsonObject error = json(response);
            assertEquals("invalid_argument", error.get("code").getAsString());
            assertEquals(c[1], error.getAsJsonArray("details").get(0).getAsJsonObject().getAsJsonObject("debug")
                    .getAsJsonArray("fieldViolations").get(0).getAsJsonObject().get("field").getAsString(), c[0]);
        }
        for (String body : List.of("[1,2]", "\"text\"", "{not json")) {
            HttpResponse<String> response = Curl.postJson(hook(server, "p/runs"), body);
            assertEquals(400, response.statusCode(), body);
        }
        assertEquals(415, Curl.send("POST", hook(server, "p/runs"), "a=1", "Content-Type",
                "application/x-www-form-urlencoded").statusCode(), "a form cannot trigger a run");
        assertEquals(405, Curl.get(hook(server, "p/runs")).statusCode());
    }

    @Test
    void waitAnswers200WithTheOutputsWhenItEnds() throws Exception {
        CompletableFuture<HttpResponse<String>> waiting = CompletableFuture.supplyAsync(
                () -> Curl.postJson(hook(server, "scored/runs?wait=20s"), "{\"x\":1}"));
        Assignment work = server.workers().poll(PollRequest.newBuilder().setWorkerId("w").addPipelines("scored")
                .setMaxWait(com.google.protobuf.util.Durations.fromSeconds(20)).build()).getAssignments(0);
        server.workers().complete(CompleteRequest.newBuilder().setLease(work.getLease())
                .setOutputs(Struct.newBuilder().putFields("score", Value.newBuilder().setNumberValue(0.9).build()))
                .build());
        HttpResponse<String> response = waiting.get(30, TimeUnit.SECONDS);
        assertEquals(200, response.statusCode(), response.body());
        JsonObject execution = json(response);
        assertEquals("EXECUTION_STATUS_SUCCEEDED", execution.get("status").getAsString());
        assertEquals(0.9, execution.getAsJsonObject("outputs").get("score").getAsDouble());
    }

    @Test
    void waitAnswers202WhenStillRunning() {
        HttpResponse<String> response = Curl.postJson(hook(server, "nobody-works-this/runs?wait=300ms"), "{}");
        assertEquals(202, response.statusCode(), response.body());
        assertEquals("EXECUTION_STATUS_QUEUED", json(response).get("status").getAsString());
    }

    @Test
    void keysNeedTheRunScopeAndAreTheActor() {
        String admin = Keys.withKey(KeyServiceGrpc.newBlockingStub(keyed.channel()), null).createKey(CreateKeyRequest
                .newBuilder().addScopes(KeyScope.KEY_SCOPE_ADMIN).build()).getToken();
        var keys = Keys.withKey(KeyServiceGrpc.newBlockingStub(keyed.channel()), admin);
        var runner = keys.createKey(CreateKeyRequest.newBuilder().addScopes(KeyScope.KEY_SCOPE_RUN)
                .addPipelines("hooked").build());
        String reader = keys.createKey(CreateKeyRequest.newBuilder().addScopes(KeyScope.KEY_SCOPE_READ).build()).getToken();

        HttpResponse<String> ok = Curl.postJson(hook(keyed, "hooked/runs"), "{}", "Authorization",
                "Bearer " + runner.getToken());
        assertEquals(202, ok.statusCode(), ok.body());
        assertEquals("key:" + runner.getKey().getId(), json(ok).getAsJsonObject("trigger").get("actor").getAsString());
        assertTrue(!ok.body().contains(runner.getToken().substring(runner.getToken().lastIndexOf('_') + 1)),
                "the secret is nowhere in the answer");

        assertEquals(401, Curl.postJson(hook(keyed, "hooked/runs"), "{}").statusCode());
        HttpResponse<String> readOnly = Curl.postJson(hook(keyed, "hooked/runs"), "{}", "Authorization",
                "Bearer " + reader);
        assertEquals(403, readOnly.statusCode());
        assertEquals("permission_denied", json(readOnly).get("code").getAsString());
        // The pipeline-restricted key is the seeds' per-pipeline token: other pipelines are refused.
        assertEquals(403, Curl.postJson(hook(keyed, "other/runs"), "{}", "Authorization",
                "Bearer " + runner.getToken()).statusCode());
        HttpResponse<String> inUrl = Curl.postJson(hook(keyed, "hooked/runs?api_key=" + runner.getToken()), "{}");
        assertEquals(401, inUrl.statusCode());
        assertTrue(json(inUrl).get("message").getAsString().contains("access logs"));
    }
}
