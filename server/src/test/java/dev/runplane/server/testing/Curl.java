package dev.runplane.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * HTTP requests shaped like the README's curl lines (java.net.http over HTTP/1.1): a method, a URL,
 * headers as name/value pairs, a body.
 */
public final class Curl {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private Curl() {
    }

    public static HttpClient client() {
        return CLIENT;
    }

    /** {@code curl -X POST -H 'Content-Type: application/json' -d body url}, plus these headers. */
    public static HttpResponse<String> postJson(URI url, String body, String... headers) {
        return send("POST", url, body, with(headers, "Content-Type", "application/json"));
    }

    public static HttpResponse<String> get(URI url, String... headers) {
        return send("GET", url, null, headers);
    }

    public static HttpResponse<String> send(String method, URI url, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String[] with(String[] headers, String name, String value) {
        for (int i = 0; i + 1 < headers.length; i += 2) {
            if (headers[i].equalsIgnoreCase(name)) {
                return headers;
            }
        }
        String[] all = java.util.Arrays.copyOf(headers, headers.length + 2);
        all[headers.length] = name;
        all[headers.length + 1] = value;
        return all;
    }
}
