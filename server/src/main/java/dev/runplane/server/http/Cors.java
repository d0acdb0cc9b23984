package dev.runplane.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Cross-origin access, off unless {@code --http-cors-origin} lists origins: then those origins, and
 * only they, get CORS headers and preflight answers. Nobody else's page can read an answer, and a
 * Connect mutation needs a JSON or proto content type, which makes the browser ask first.
 */
final class Cors {

    /** The request headers that a listed origin may send. */
    private static final Set<String> ALLOWED_HEADERS = Set.of("content-type", "authorization",
            "connect-protocol-version", "connect-timeout-ms", "idempotency-key", "last-event-id");
    private static final String EXPOSED_HEADERS = "content-type";

    private final Set<String> origins;

    Cors(List<String> origins) {
        this.origins = origins.stream().map(o -> o.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    private boolean allows(String origin) {
        return origin != null && origins.contains(origin.toLowerCase(Locale.ROOT));
    }

    /** Adds the headers that let a listed origin read this answer; nothing for any other. */
    void decorate(Incoming in, HttpServerResponse response) {
        String origin = in.header(HttpHeaderNames.ORIGIN);
        if (allows(origin)) {
            response.header(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                    .header(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED_HEADERS);
        }
        if (!origins.isEmpty()) {
            response.addHeader(HttpHeaderNames.VARY, "Origin");
        }
    }

    static boolean isPreflight(Incoming in) {
        return in.request().method().name().equals("OPTIONS")
                && in.header(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD) != null;
    }

    /** A preflight: 204 with the permissions for a listed origin, 403 with none for any other. */
    Mono<Void> preflight(Incoming in, HttpServerResponse response) {
        String origin = in.header(HttpHeaderNames.ORIGIN);
        String method = in.header(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
        String asked = in.header(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS);
        boolean headersAllowed = asked == null || Arrays.stream(asked.split(",")).map(String::trim)
                .filter(h -> !h.isEmpty()).allMatch(h -> ALLOWED_HEADERS.contains(h.toLowerCase(Locale.ROOT)));
        if (!allows(origin) || !(method.equals("POST") || method.equals("GET")) || !headersAllowed) {
            return Answers.plain(response, HttpResponseStatus.FORBIDDEN, "cross-origin request not allowed"
                    + (origins.isEmpty() ? " (no --http-cors-origin)" : ""));
        }
        return response.status(HttpResponseStatus.NO_CONTENT)
                .header(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                .header(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "POST, GET")
                .header(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, String.join(", ", ALLOWED_HEADERS))
                .header(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "7200")
                .addHeader(HttpHeaderNames.VARY, "Origin")
                .send().then();
    }
}
