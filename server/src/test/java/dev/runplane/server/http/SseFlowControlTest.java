package dev.runplane.server.http;

import dev.runplane.server.testing.PerClassServer;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunRequest;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SSE follows the socket: a client that stops reading holds the gRPC watch back (nothing is buffered
 * without bound on its behalf), so the event hub's slow-watcher bound ends it with
 * resource_exhausted, which it reads as the last event once it reads again.
 */
class SseFlowControlTest {

    @RegisterExtension
    static final PerClassServer server = PerClassServer.withHttp();

    @Test
    void aClientThatStopsReadingMeetsTheSlowWatcherBound() throws Exception {
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096); // a small window, so that the server's side fills soon
            socket.connect(new InetSocketAddress("127.0.0.1", server.http().getPort()));
            String message = URLEncoder.encode("{\"filter\":{\"pipelines\":[\"stalled\"]}}", StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /runplane.v1.ExecutionService/WatchExecutions?encoding=json&message=" + message
                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            server.awaitWatchers(1);
            // Far more than the socket's buffers (up to 4 MiB here) and the watcher's bound (1,024 events)
            // hold: 2,000 events of about 7 KB each (their execution's labels).
            RunRequest.Builder big = RunRequest.newBuilder().setPipeline("stalled");
            for (int label = 0; label < 32; label++) {
                big.putLabels("label-" + label, "x".repeat(200));
            }
            for (int batch = 0; batch < 20; batch++) {
                RunBatchRequest.Builder runs = RunBatchRequest.newBuilder();
                for (int i = 0; i < 100; i++) {
                    runs.addRuns(big);
                }
                server.executions().runBatch(runs.build());
            }
            server.awaitWatchers(0); // ended by the hub while the client read nothing
            socket.setSoTimeout(30_000);
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[65536];
            String tail = "";
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                received.write(buffer, 0, n);
                tail = new String(buffer, 0, n, StandardCharsets.UTF_8);
                String sofar = received.toString(StandardCharsets.UTF_8);
                int error = sofar.indexOf("event: error");
                if (error >= 0 && sofar.indexOf("\n\n", error) > 0) {
                    break; // the whole error event is here
                }
            }
            String text = received.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("event: event"), "events came first");
            int error = text.indexOf("event: error");
            assertTrue(error > 0, "the stream ends with an error event; it ended with: " + tail);
            assertTrue(text.indexOf("resource_exhausted", error) > 0, text.substring(error));
        }
    }
}
