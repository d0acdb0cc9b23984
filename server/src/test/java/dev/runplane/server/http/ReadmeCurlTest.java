package dev.runplane.server.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.runplane.server.testing.Curl;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.v1.RunRequest;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's curl lines (the first sh block of "Plain HTTP: Connect, SSE and webhooks"), read from
 * README.md and sent as curl would send them, against a real port (8080 in the text is the test's
 * free port; the webhook's 30 s wait is shortened to 1 s).
 */
class ReadmeCurlTest {

    @RegisterExtension
    static final PerClassServer server = PerClassServer.withHttp();

    /** One curl command line: its headers, its data (POST when present) and its URL. */
    record CurlLine(List<String> headers, String data, String url) {

        static CurlLine parse(List<String> words) {
            assertEquals("curl", words.get(0), words.toString());
            List<String> headers = new ArrayList<>();
            String data = null;
            String url = null;
            for (int i = 1; i < words.size(); i++) {
                String word = words.get(i);
                switch (word) {
                    case "-H" -> {
                        String header = words.get(++i);
                        int colon = header.indexOf(':');
                        headers.add(header.substring(0, colon).trim());
                        headers.add(header.substring(colon + 1).trim());
                    }
                    case "-d" -> data = words.get(++i);
                    case "-m" -> i++;
                    case "-sS", "-N", "-s", "-S" -> {
                    }
                    default -> {
                        assertTrue(word.startsWith("http"), "an option this test does not know: " + word);
                        url = word;
                    }
                }
            }
            return new CurlLine(headers, data, url);
        }

        boolean sse() {
            return headers.contains("text/event-stream");
        }
    }

    /** The shell's words of a line: single quotes literal, double quotes with \" and $VAR, $VAR bare. */
    static List<String> words(String line, Map<String, String> env) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                continue;
            }
            if (word == null) {
                word = new StringBuilder();
            }
            if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                word.append(line, i + 1, end);
                i = end;
            } else if (c == '"') {
                for (i++; line.charAt(i) != '"'; i++) {
                    char d = line.charAt(i);
                    if (d == '\\') {
                        word.append(line.charAt(++i));
                    } else if (d == '$') {
                        int end = i + 1;
                        while (end < line.length() && (Character.isLetterOrDigit(line.charAt(end)) || line.charAt(end) == '_')) {
                            end++;
                        }
                        word.append(env.get(line.substring(i + 1, end)));
                        i = end - 1;
                    } else {
                        word.append(d);
                    }
                }
            } else {
                word.append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    /** The command lines of the section's first sh block, continuation lines joined, comments left out. */
    static List<String> commands() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int section = readme.indexOf("## Plain HTTP: Connect, SSE and webhooks");
        int start = readme.indexOf("```sh\n", section) + 6;
        String block = readme.substring(start, readme.indexOf("```", start));
        List<String> commands = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : block.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
            } else {
                commands.add(current.append(line).toString().trim());
                current.setLength(0);
            }
        }
        return commands;
    }

    private static URI url(String text) {
        return URI.create(text.replace("http://127.0.0.1:8080", server.http().toString()).replace("wait=30s", "wait=1s"));
    }

    @Test
    void theReadmesCurlLinesAnswerAsTheReadmeSays() throws Exception {
        List<String> commands = commands();
        assertEquals(7, commands.size(), commands.toString());
        Map<String, String> env = new java.util.HashMap<>();
        List<Integer> statuses = new ArrayList<>();
        for (String command : commands) {
            CurlLine curl = CurlLine.parse(words(command, env));
            if (curl.sse()) {
                try (SseClient sse = SseClient.get(url(curl.url()), curl.headers().toArray(String[]::new))) {
                    assertEquals(200, sse.response().statusCode());
                    server.awaitWatchers(1);
                    server.executions().run(RunRequest.newBuilder().setPipeline("nightly").build());
                    SseClient.Event event = sse.next();
                    assertEquals("event", event.name(), event.toString());
                    assertTrue(event.data().contains("\"pipeline\":\"nightly\""), event.data());
                    statuses.add(200);
                }
                continue;
            }
            HttpResponse<String> response = Curl.send(curl.data() == null ? "GET" : "POST", url(curl.url()), curl.data(),
                    curl.headers().toArray(String[]::new));
            statuses.add(response.statusCode());
            JsonObject json = JsonParser.parseString(response.body()).getAsJsonObject();
            if (command.contains("ExecutionService/Run") && response.statusCode() == 200) {
                env.put("ID", json.getAsJsonObject("execution").get("id").getAsString());
            }
            if (command.contains("Search")) {
                assertTrue(response.body().contains(env.get("ID")), response.body());
            }
            if (response.statusCode() == 400) {
                assertEquals("invalid_argument", json.get("code").getAsString());
                assertTrue(response.body().contains("google.rpc.BadRequest"));
            }
        }
        // Run, GetExecution, Search, the refused Run, the webhook, the webhook that waits (still queued), SSE.
        assertEquals(List.of(200, 200, 200, 400, 202, 202, 200), statuses);
    }
}
