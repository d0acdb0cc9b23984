package dev.runplane.server.http;

import dev.runplane.server.core.error.AuthenticationException;
import dev.runplane.server.core.error.InvalidArgumentException;
import dev.runplane.server.core.error.ResourceExhaustedException;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * What every call over HTTP takes from its request, the same way: the channel that carries the HTTP
 * client's address, the metadata (its Authorization headers, all of them: two are refused as they are
 * over gRPC), the deadline of {@code connect-timeout-ms}, and the body within the message-size limit.
 */
final class Incoming {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /** Query parameters that people put keys in; any of them is refused, whatever its value. */
    private static final Set<String> KEY_PARAMETERS = Set.of("api_key", "apikey", "api-key", "key", "token",
            "access_token", "auth", "authorization", "bearer", "secret", "password");
    /** How much of a body over the limit is read (and dropped) so that the client sees the refusal. */
    private static final long DRAIN_LIMIT = 64L * 1024 * 1024;
    /** At most 10 digits, as the Connect protocol says. */
    private static final int MAX_TIMEOUT_DIGITS = 10;

    private final HttpServerRequest request;
    private final QueryStringDecoder query;

    Incoming(HttpServerRequest request) {
        this.request = request;
        this.query = new QueryStringDecoder(request.uri());
    }

    HttpServerRequest request() {
        return request;
    }

    String path() {
        return query.path();
    }

    Map<String, List<String>> parameters() {
        return query.parameters();
    }

    String parameter(String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    String header(CharSequence name) {
        return request.requestHeaders().get(name);
    }

    /**
     * A key in the URL lands in access logs, proxies' logs and browser history, where anyone who reads
     * them can use it: refused on every path, before anything else, with a message that says where the
     * key goes instead. Any parameter of a key-like name counts, and any value that looks like a key.
     */
    void refuseKeyInUrl() {
        for (Map.Entry<String, List<String>> parameter : query.parameters().entrySet()) {
            boolean named = KEY_PARAMETERS.contains(parameter.getKey().toLowerCase(Locale.ROOT));
            boolean looksLikeKey = parameter.getValue().stream().anyMatch(v -> v.contains("rpk_"));
            if (named || looksLikeKey) {
                throw new AuthenticationException("API_KEY_IN_URL", "an API key must not be sent in the URL (query "
                        + "parameter '" + parameter.getKey() + "'): URLs are written to access logs, proxies' logs "
                        + "and browser history. Send it as the header 'Authorization: Bearer <key>' and revoke a key "
                        + "that was sent in a URL");
            }
        }
    }

    /** The in-process channel, carrying this client's address to the auth interceptor (see {@link HttpPeer}). */
    Channel channel(Channel door) {
        return ClientInterceptors.intercept(door, HttpPeer.forward(request.remoteAddress()));
    }

    Metadata metadata() {
        Metadata metadata = new Metadata();
        for (String value : request.requestHeaders().getAll("authorization")) {
            metadata.put(AUTHORIZATION, value);
        }
        return metadata;
    }

    /** {@code connect-timeout-ms}, if present, as the call's deadline. */
    CallOptions callOptions() {
        String timeout = header("connect-timeout-ms");
        if (timeout == null) {
            return CallOptions.DEFAULT;
        }
        if (timeout.isEmpty() || timeout.length() > MAX_TIMEOUT_DIGITS || !timeout.chars().allMatch(Character::isDigit)) {
            throw InvalidArgumentException.of("connect-timeout-ms", "must be a positive integer of at most 10 digits "
                    + "(milliseconds)");
        }
        return CallOptions.DEFAULT.withDeadlineAfter(Long.parseLong(timeout), TimeUnit.MILLISECONDS);
    }

    /**
     * The body, refused past {@code limit} bytes (the same message-size limit as gRPC's). A body over the
     * limit is still read to its end, and dropped, before the refusal: a server that answers and closes
     * while the client is still sending resets the connection, and the client never sees the answer.
     * Past {@link #DRAIN_LIMIT} the connection is closed instead.
     */
    Mono<byte[]> body(int limit, HttpServerResponse response) {
        String length = header("content-length");
        if (length != null && !length.isEmpty() && length.chars().allMatch(Character::isDigit)
                && Long.parseLong(length) > DRAIN_LIMIT) {
            response.keepAlive(false);
            return Mono.error(tooLarge(limit));
        }
        return request.receive().asByteArray()
                .reduceWith(Body::new, (body, chunk) -> body.add(chunk, limit))
                .doOnError(tooMuch -> response.keepAlive(false))
                .defaultIfEmpty(new Body())
                .handle((body, sink) -> {
                    if (body.dropped > DRAIN_LIMIT) {
                        response.keepAlive(false);
                    }
                    if (body.dropped > 0) {
                        sink.error(tooLarge(limit));
                    } else {
                        sink.next(body.kept.toByteArray());
                    }
                });
    }

    /** What was read of a body: kept up to the limit, past it only counted. */
    private static final class Body {
        final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        long dropped;

        Body add(byte[] chunk, int limit) {
            if (dropped > 0 || kept.size() + chunk.length > limit) {
                if (dropped == 0) {
                    dropped = kept.size();
                    kept.reset();
                }
                dropped += chunk.length;
                if (dropped > DRAIN_LIMIT) {
                    throw tooLarge(limit);
                }
            } else {
                kept.writeBytes(chunk);
            }
            return this;
        }
    }

    private static ResourceExhaustedException tooLarge(int limit) {
        return new ResourceExhaustedException("MESSAGE_TOO_LARGE", "the request body is larger than the limit of "
                + limit + " bytes (--max-message-size)");
    }
}
