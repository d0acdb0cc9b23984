package dev.runplane.server.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.runplane.server.testing.Curl;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import java.io.DataInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Server streaming over the Connect protocol (envelopes of application/connect+json and +proto, the
 * end-stream message with the error), and SSE's forms: event names, ids, the end and error events.
 */
class ConnectStreamTest {

    @RegisterExtension
    static final PerClassServer server = PerClassServer.withHttp();

    /** One envelope: its flags and its message. */
    record Envelope(int flags, byte[] message) {
        String text() {
            return new String(message, StandardCharsets.UTF_8);
        }
    }

    private static byte[] envelope(byte[] message) {
        return ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length).put(message).array();
    }

    private static List<Envelope> stream(String method, String contentType, byte[] request, String... headers)
            throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(server.http().resolve("/" + method))
                .header("Content-Type", contentType).header("Connect-Protocol-Version", "1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(envelope(request)));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        HttpResponse<byte[]> response = Curl.client().send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertEquals(contentType, response.headers().firstValue("content-type").orElse(""));
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(response.body()));
        List<Envelope> envelopes = new ArrayList<>();
        while (in.available() > 0) {
            int flags = in.readUnsignedByte();
            byte[] message = new byte[in.readInt()];
            in.readFully(message);
            envelopes.add(new Envelope(flags, message));
        }
        assertTrue(!envelopes.isEmpty() && envelopes.get(envelopes.size() - 1).flags() == 2,
                "the stream ends with an end-stream envelope");
        for (Envelope e : envelopes.subList(0, envelopes.size() - 1)) {
            assertEquals(0, e.flags());
        }
        return envelopes;
    }

    private static String cancelledExecution() {
        String id = server.executions().run(RunRequest.newBuilder().setPipeline("streamed").build()).getExecution().getId();
        server.executions().cancel(CancelRequest.newBuilder().setId(id).build());
        return id;
    }

    @Test
    void watchExecutionInJsonEnvelopesEndsAfterTheTerminalState() throws Exception {
        String id = cancelledExecution();
        List<Envelope> envelopes = stream("runplane.v1.ExecutionService/WatchExecution", "application/connect+json",
                ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8));
        assertEquals(2, envelopes.size(), "the current (terminal) state, then the end");
        JsonObject first = JsonParser.parseString(envelopes.get(0).text()).getAsJsonObject();
        assertEquals(id, first.getAsJsonObject("event").get("executionId").getAsString());
        assertEquals("{}", envelopes.get(1).text());
    }

    @Test
    void watchExecutionInProtoEnvelopes() throws Exception {
        String id = cancelledExecution();
        List<Envelope> envelopes = stream("runplane.v1.ExecutionService/WatchExecution", "application/connect+proto",
                WatchExecutionRequest.newBuilder().setId(id).build().toByteArray());
        assertEquals(id, WatchExecutionResponse.parseFrom(envelopes.get(0).message()).getEvent().getExecutionId());
        assertEquals("{}", envelopes.get(envelopes.size() - 1).text());
    }

    @Test
    void anErrorIsTheEndStreamMessage() throws Exception {
        List<Envelope> envelopes = stream("runplane.v1.ExecutionService/WatchExecution", "application/connect+json",
                ("{\"id\":\"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8));
        assertEquals(1, envelopes.size());
        JsonObject error = JsonParser.parseString(envelopes.get(0).text()).getAsJsonObject().getAsJsonObject("error");
        assertEquals("not_found", error.get("code").getAsString());
        assertTrue(error.has("message"));
    }

    /** connect-timeout-ms ends a stream that would run on: deadline_exceeded in the end-stream message. */
    @Test
    void theTimeoutEndsAStream() throws Exception {
        List<Envelope> envelopes = stream("runplane.v1.ExecutionService/WatchExecutions", "application/connect+json",
                "{\"filter\":{\"pipelines\":[\"quiet\"]}}".getBytes(StandardCharsets.UTF_8), "Connect-Timeout-Ms", "300");
        JsonObject end = JsonParser.parseString(envelopes.get(envelopes.size() - 1).text()).getAsJsonObject();
        assertEquals("deadline_exceeded", end.getAsJsonObject("error").get("code").getAsString());
    }

    @Test
    void sseNamesTheSetFieldAndEndsWithEnd() throws Exception {
        String id = cancelledExecution();
        try (SseClient sse = SseClient.open(server.http(), "runplane.v1.ExecutionService/WatchExecution",
                "{\"id\":\"" + id + "\"}")) {
            assertEquals(200, sse.response().statusCode());
            assertTrue(sse.response().headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
            SseClient.Event first = sse.next();
            assertEquals("event", first.name());
            JsonObject data = JsonParser.parseString(first.data()).getAsJsonObject();
            assertEquals(data.getAsJsonObject("event").get("revision").getAsString(), first.id(),
                    "WatchExecution's id: is the revision");
            assertEquals("end", sse.next().name());
            assertEquals(null, sse.next());
        }
        // Resumed after the last revision: nothing more, then the end.
        try (SseClient sse = SseClient.open(server.http(), "runplane.v1.ExecutionService/WatchExecution",
                "{\"id\":\"" + id + "\"}", "Last-Event-ID", "2")) {
            SseClient.Event next = sse.next();
            assertNotNull(next);
            assertEquals("end", next.name(), next.toString());
        }
    }

    @Test
    void sseErrorsAreAnErrorEventOrBeforeTheStreamAnHttpError() throws Exception {
        try (SseClient sse = SseClient.open(server.http(), "runplane.v1.ExecutionService/WatchExecution",
                "{\"id\":\"" + UUID.randomUUID() + "\"}")) {
            SseClient.Event error = sse.next();
            assertEquals("error", error.name());
            assertEquals("not_found", JsonParser.parseString(error.data()).getAsJsonObject().get("code").getAsString());
            assertEquals(null, sse.next(), "the stream ends after the error");
        }
        // A request that is not the method's, or a bad Last-Event-ID, is refused before the stream starts.
        try (SseClient sse = SseClient.open(server.http(), "runplane.v1.ExecutionService/WatchExecutions",
                "{\"nope\":1}")) {
            assertEquals(400, sse.response().statusCode());
        }
        try (SseClient sse = SseClient.open(server.http(), "runplane.v1.ExecutionService/WatchExecutions", "{}",
                "Last-Event-ID", "yesterday")) {
            assertEquals(400, sse.response().statusCode());
        }
        // A GET without Accept: text/event-stream is not SSE: 405, saying what would be.
        HttpResponse<String> get = Curl.get(server.http().resolve("/runplane.v1.ExecutionService/WatchExecutions"));
        assertEquals(405, get.statusCode());
        assertTrue(get.body().contains("text/event-stream"));
    }

    @Test
    void aClientThatGoesAwayCancelsTheWatch() throws Exception {
        server.awaitWatchers(0);
        SseClient sse = SseClient.open(server.http(), "runplane.v1.ExecutionService/WatchExecutions",
                "{\"filter\":{\"pipelines\":[\"left\"]}}");
        server.awaitWatchers(1);
        sse.close();
        server.awaitWatchers(0);
    }
}
