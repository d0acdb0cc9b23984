package dev.runplane.server.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.runplane.server.testing.Curl;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.v1.GetExecutionResponse;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP port as a protocol: what the Connect protocol says about paths, methods, content types,
 * versions, deadlines and sizes; h2c; keys in URLs; the static files and their security headers;
 * CORS off by default and exact when origins are listed.
 */
class HttpProtocolTest {

    private static final String ORIGIN = "https://ops.example.com";
    private static TestServer plain;
    private static TestServer cors;

    @BeforeAll
    static void start() {
        DatabaseAddress database = TestPostgres.newDatabase();
        plain = TestServer.startWithHttp(database, HttpConfig.onPort(0).withStaticRoot("http-static"));
        cors = TestServer.startWithHttp(database, HttpConfig.onPort(0).withCorsOrigins(List.of(ORIGIN)));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        cors.close();
        plain.close();
    }

    private static URI at(String path) {
        return plain.http().resolve(path);
    }

    private static JsonObject json(HttpResponse<String> response) {
        return JsonParser.parseString(response.body()).getAsJsonObject();
    }

    @Test
    void anUnknownPathIs404AndAKnownOneWithTheWrongMethodIs405() {
        assertEquals(404, Curl.postJson(at("/runplane.v1.ExecutionService/NoSuchMethod"), "{}").statusCode());
        assertEquals(404, Curl.get(at("/no/such/file.html")).statusCode());
        HttpResponse<String> get = Curl.get(at("/runplane.v1.ExecutionService/Run"));
        assertEquals(405, get.statusCode());
        assertEquals("POST", get.headers().firstValue("allow").orElse(""));
    }

    /** A cross-site form can send only form and text content types: neither reaches a service. */
    @Test
    void aFormPostIs415AndQueuesNothing() {
        for (String type : List.of("application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x")) {
            HttpResponse<String> response = Curl.send("POST", at("/runplane.v1.ExecutionService/Run"),
                    "{\"pipeline\":\"forged\"}", "Content-Type", type);
            assertEquals(415, response.statusCode(), type);
            assertTrue(response.headers().firstValue("accept-post").orElse("").contains("application/json"));
        }
        JsonObject found = json(Curl.postJson(at("/runplane.v1.ExecutionService/Search"),
                "{\"filter\":{\"pipelines\":[\"forged\"]}}"));
        assertFalse(found.has("executions"), found.toString());
        // A streaming content type on a unary method is not this method's either.
        assertEquals(415, Curl.send("POST", at("/runplane.v1.ExecutionService/Run"), "{}", "Content-Type",
                "application/connect+json").statusCode());
    }

    @Test
    void protobufBodiesWorkToo() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(at("/runplane.v1.ExecutionService/Run"))
                .header("Content-Type", "application/proto").header("Connect-Protocol-Version", "1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(RunRequest.newBuilder().setPipeline("binary").build()
                        .toByteArray())).build();
        HttpResponse<byte[]> response = Curl.client().send(request, HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertEquals("application/proto", response.headers().firstValue("content-type").orElse(""));
        String id = RunResponse.parseFrom(response.body()).getExecution().getId();
        assertEquals("binary", GetExecutionResponse.parseFrom(Curl.client().send(HttpRequest.newBuilder(
                at("/runplane.v1.ExecutionService/GetExecution")).header("Content-Type", "application/proto")
                .POST(HttpRequest.BodyPublishers.ofByteArray(dev.runplane.v1.GetExecutionRequest.newBuilder()
                        .setId(id).build().toByteArray())).build(), HttpResponse.BodyHandlers.ofByteArray()).body())
                .getExecution().getPipeline());
        // Bytes that are not the request: the server's parse guard answers, as over gRPC.
        HttpResponse<String> garbage = Curl.client().send(HttpRequest.newBuilder(at("/runplane.v1.ExecutionService/Run"))
                .header("Content-Type", "application/proto").POST(HttpRequest.BodyPublishers.ofByteArray(
                        new byte[] {(byte) 0xff, (byte) 0xff, 0x01})).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, garbage.statusCode());
        assertEquals("invalid_argument", json(garbage).get("code").getAsString());
    }

    @Test
    void connectHeadersAreChecked() {
        HttpResponse<String> version = Curl.postJson(at("/runplane.v1.ExecutionService/Search"), "{}",
                "Connect-Protocol-Version", "2");
        assertEquals(400, version.statusCode());
        assertEquals("invalid_argument", json(version).get("code").getAsString());
        HttpResponse<String> badTimeout = Curl.postJson(at("/runplane.v1.ExecutionService/Search"), "{}",
                "Connect-Timeout-Ms", "soon");
        assertEquals(400, badTimeout.statusCode());
        assertTrue(json(badTimeout).get("message").getAsString().contains("connect-timeout-ms"));
        HttpResponse<String> gzip = Curl.postJson(at("/runplane.v1.ExecutionService/Search"), "{}",
                "Content-Encoding", "gzip");
        assertEquals(501, gzip.statusCode());
        assertEquals("unimplemented", json(gzip).get("code").getAsString());
    }

    /**
     * connect-timeout-ms is the call's deadline: a long poll of 60 s given 300 ms answers (empty, as Poll
     * answers a deadline) well within the HTTP client's own 30 s timeout, which it would hit otherwise.
     */
    @Test
    void theTimeoutHeaderIsTheDeadline() {
        HttpResponse<String> response = Curl.postJson(at("/runplane.v1.WorkerService/Poll"),
                "{\"workerId\":\"w\",\"pipelines\":[\"nobody-queues-this\"],\"maxWait\":\"60s\"}",
                "Connect-Timeout-Ms", "300");
        assertEquals(200, response.statusCode(), response.body());
        assertFalse(json(response).has("assignments"), response.body());
    }

    @Test
    void aBodyOverTheMessageLimitIsRefused() {
        String big = "{\"pipeline\":\"big\",\"inputs\":{\"x\":\"" + "a".repeat(4 * 1024 * 1024 + 10) + "\"}}";
        HttpResponse<String> response = Curl.postJson(at("/runplane.v1.ExecutionService/Run"), big);
        assertEquals(429, response.statusCode());
        assertEquals("resource_exhausted", json(response).get("code").getAsString());
        // The next request (on a new connection: the refused body was not read) is answered.
        assertEquals(200, Curl.postJson(at("/runplane.v1.ExecutionService/Search"), "{}").statusCode());
        assertEquals(429, Curl.postJson(at("/runplane.v1.ExecutionService/Run"), big).statusCode());
        assertEquals(200, Curl.postJson(at("/runplane.v1.ExecutionService/Search"), "{}").statusCode());
    }

    @Test
    void h2cWorks() throws Exception {
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> response = h2.send(HttpRequest.newBuilder(at("/runplane.v1.ExecutionService/Search"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals(HttpClient.Version.HTTP_2, response.version());
    }

    @Test
    void aKeyInTheUrlIsRefusedWithTheReason() {
        for (String query : List.of("?api_key=rpk_a_b", "?token=x", "?key=x", "?access_token=x", "?x=rpk_id_secret")) {
            for (String path : List.of("/runplane.v1.ExecutionService/Search", "/", "/v1/pipelines/p/runs")) {
                HttpResponse<String> response = Curl.postJson(at(path + query), "{}");
                assertEquals(401, response.statusCode(), path + query);
                JsonObject error = json(response);
                assertEquals("unauthenticated", error.get("code").getAsString());
                assertTrue(error.get("message").getAsString().contains("access logs"), error.toString());
                assertTrue(error.get("message").getAsString().contains("Authorization: Bearer"), error.toString());
            }
        }
    }

    @Test
    void staticFilesCarryTheSecurityHeaders() {
        for (String path : List.of("/", "/index.html", "/app.js", "/sub/style.css")) {
            HttpResponse<String> response = Curl.get(at(path));
            assertEquals(200, response.statusCode(), path);
            String policy = response.headers().firstValue("content-security-policy").orElse("");
            assertTrue(policy.contains("default-src 'self'"), policy);
            assertTrue(policy.contains("frame-ancestors 'none'"), policy);
            assertFalse(policy.contains("unsafe-inline"), policy);
            assertEquals("nosniff", response.headers().firstValue("x-content-type-options").orElse(""));
            assertEquals("no-referrer", response.headers().firstValue("referrer-policy").orElse(""));
        }
        assertTrue(Curl.get(at("/")).body().contains("static test page"));
        assertEquals("text/javascript; charset=utf-8", Curl.get(at("/app.js")).headers().firstValue("content-type")
                .orElse(""));
        assertTrue(Curl.get(at("/sub/style.css")).headers().firstValue("content-type").orElse("").startsWith("text/css"));
    }

    @Test
    void nothingOutsideTheFolderIsServed() {
        for (String path : List.of("/sub", "/sub/", "/../dev/runplane/server/http/HttpProtocolTest.class",
                "/%2e%2e/junit-platform.properties", "/.hidden.html", "/simplelogger.properties",
                "/sub/..%2findex.html")) {
            HttpResponse<String> response;
            try {
                response = Curl.get(at(path));
            } catch (RuntimeException e) {
                throw new AssertionError(path, e);
            }
            assertEquals(404, response.statusCode(), path);
        }
        // The test server's default root is the jar's dashboard folder (the page of
        // src/main/resources/dashboard), not this test's folder.
        HttpResponse<String> dashboard = Curl.get(cors.http().resolve("/index.html"));
        assertEquals(200, dashboard.statusCode());
        assertFalse(dashboard.body().contains("static test page"));
    }

    @Test
    void corsIsOffUnlessOriginsAreListed() {
        HttpResponse<String> answer = Curl.postJson(at("/runplane.v1.ExecutionService/Search"), "{}", "Origin", ORIGIN);
        assertEquals(200, answer.statusCode());
        assertTrue(answer.headers().firstValue("access-control-allow-origin").isEmpty());
        HttpResponse<String> preflight = Curl.send("OPTIONS", at("/runplane.v1.ExecutionService/Run"), null,
                "Origin", ORIGIN, "Access-Control-Request-Method", "POST",
                "Access-Control-Request-Headers", "content-type");
        assertEquals(403, preflight.statusCode());
        assertTrue(preflight.headers().firstValue("access-control-allow-origin").isEmpty());
    }

    @Test
    void listedOriginsGetCorsAndOnlyThey() {
        URI run = cors.http().resolve("/runplane.v1.ExecutionService/Run");
        HttpResponse<String> preflight = Curl.send("OPTIONS", run, null, "Origin", ORIGIN,
                "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type, authorization");
        assertEquals(204, preflight.statusCode());
        assertEquals(ORIGIN, preflight.headers().firstValue("access-control-allow-origin").orElse(""));
        assertTrue(preflight.headers().firstValue("access-control-allow-methods").orElse("").contains("POST"));
        assertTrue(preflight.headers().firstValue("access-control-allow-headers").orElse("").contains("authorization"));

        HttpResponse<String> answer = Curl.postJson(cors.http().resolve("/runplane.v1.ExecutionService/Search"), "{}",
                "Origin", ORIGIN);
        assertEquals(ORIGIN, answer.headers().firstValue("access-control-allow-origin").orElse(""));
        assertTrue(answer.headers().allValues("vary").contains("Origin"));

        String stranger = "https://evil.example.com";
        assertEquals(403, Curl.send("OPTIONS", run, null, "Origin", stranger, "Access-Control-Request-Method", "POST")
                .statusCode());
        assertTrue(Curl.postJson(cors.http().resolve("/runplane.v1.ExecutionService/Search"), "{}", "Origin", stranger)
                .headers().firstValue("access-control-allow-origin").isEmpty());
        // A header that is not on the list is not allowed either.
        assertEquals(403, Curl.send("OPTIONS", run, null, "Origin", ORIGIN, "Access-Control-Request-Method", "POST",
                "Access-Control-Request-Headers", "x-custom").statusCode());
    }
}
