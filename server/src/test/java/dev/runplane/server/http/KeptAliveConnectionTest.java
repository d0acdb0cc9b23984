package dev.runplane.server.http;

import dev.runplane.server.testing.PerClassServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Many requests of every kind on ONE kept-alive HTTP/1.1 connection, as a browser sends them: each
 * is answered. (A request that followed a GET on the same connection once went unanswered now and
 * then, while the server went on answering other connections: see HttpFace's router.)
 */
class KeptAliveConnectionTest {

    @RegisterExtension
    static final PerClassServer server = PerClassServer.withHttp();

    private static String post(String path, String contentType, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + contentType + "\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    /** Sends one request and reads its answer (headers and a Content-Length body); its status code. */
    private static int exchange(Socket socket, String request) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.UTF_8));
        out.flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("the connection closed after: " + head);
            }
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.ISO_8859_1);
        int length = 0;
        for (String line : headers.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        in.readNBytes(length);
        return Integer.parseInt(headers.substring(9, 12));
    }

    @Test
    void everyRequestOnOneConnectionIsAnswered() throws Exception {
        List<Object[]> requests = List.of(
                new Object[] {"GET /nope.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404},
                new Object[] {post("/runplane.v1.ExecutionService/Search", "application/json", "{}"), 200},
                new Object[] {"GET /runplane.v1.ExecutionService/Search HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405},
                new Object[] {post("/runplane.v1.ExecutionService/Run", "application/json", "{\"pipeline\":\"kept\"}"), 200},
                new Object[] {post("/runplane.v1.ExecutionService/Run", "text/plain", "{\"pipeline\":\"kept\"}"), 415},
                new Object[] {post("/v1/pipelines/kept/runs?priority=high", "application/json", "{}"), 400},
                new Object[] {post("/v1/pipelines/kept/runs", "application/json", "{}"), 202},
                new Object[] {post("/runplane.v1.ExecutionService/Search?token=x", "application/json", "{}"), 401});
        try (Socket socket = new Socket("127.0.0.1", server.http().getPort())) {
            socket.setSoTimeout(20_000); // far beyond any answer: a read that waits this long is a lost request
            for (int round = 0; round < 40; round++) {
                for (Object[] request : requests) {
                    assertEquals(request[1], exchange(socket, (String) request[0]), "round " + round + ": " + request[0]);
                }
            }
        }
    }
}
