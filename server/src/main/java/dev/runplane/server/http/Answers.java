package dev.runplane.server.http;

import io.grpc.StatusRuntimeException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/** The few kinds of answer that every handler gives, in one form. */
final class Answers {

    private Answers() {
    }

    /** A Connect error JSON with the HTTP status of its code. */
    static Mono<Void> error(HttpServerResponse response, Throwable failure) {
        StatusRuntimeException status = ConnectErrors.status(failure);
        return json(response, ConnectErrors.httpStatus(status.getStatus().getCode()),
                ConnectErrors.json(status).toString());
    }

    static Mono<Void> json(HttpServerResponse response, int status, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return response.status(status).header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length))
                .sendByteArray(Mono.just(body)).then();
    }

    /** A protocol-level refusal (404, 405, 415, ...), in plain text that says why. */
    static Mono<Void> plain(HttpServerResponse response, HttpResponseStatus status, String text) {
        byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
        return response.status(status).header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length))
                .sendByteArray(Mono.just(body)).then();
    }
}
