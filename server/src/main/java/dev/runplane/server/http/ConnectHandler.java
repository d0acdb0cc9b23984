package dev.runplane.server.http;

import com.google.gson.JsonObject;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.runplane.server.grpc.ErrorMapper;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The Connect protocol (connectrpc.com/docs/protocol) at the gRPC paths: unary POST with
 * application/json or application/proto, server streaming with application/connect+json or
 * application/connect+proto envelopes whose end-stream message carries the error. Every call goes to
 * the server through the in-process channel, so auth, scopes, validation, limits, metrics and errors
 * are the gRPC ones.
 */
final class ConnectHandler {

    /** End-stream envelope flag (and compressed: 0x01, not supported). */
    private static final int END_STREAM = 0x02;
    private static final int COMPRESSED = 0x01;
    private static final String UNARY_TYPES = "application/json, application/proto";
    private static final String STREAM_TYPES = "application/connect+json, application/connect+proto";

    private final Channel door;
    private final int maxMessageBytes;

    ConnectHandler(Channel door, int maxMessageBytes) {
        this.door = door;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** The codec that a content type names, or null when Connect has none of that name. */
    record Codec(boolean json, boolean streaming) {

        static Codec of(String contentType) {
            if (contentType == null) {
                return null;
            }
            String[] parts = contentType.split(";");
            String type = parts[0].trim().toLowerCase(Locale.ROOT);
            for (int i = 1; i < parts.length; i++) {
                String parameter = parts[i].trim().toLowerCase(Locale.ROOT).replace(" ", "");
                if (parameter.startsWith("charset=") && !parameter.equals("charset=utf-8")) {
                    return null;
                }
            }
            return switch (type) {
                case "application/json" -> new Codec(true, false);
                case "application/proto" -> new Codec(false, false);
                case "application/connect+json" -> new Codec(true, true);
                case "application/connect+proto" -> new Codec(false, true);
                default -> null;
            };
        }

        String contentType() {
            return (streaming ? "application/connect+" : "application/") + (json ? "json" : "proto");
        }
    }

    Mono<Void> handle(Incoming in, HttpServerResponse response, Rpc rpc) {
        if (!rpc.unary() && !rpc.serverStreaming()) {
            return Answers.error(response, Status.UNIMPLEMENTED.withDescription(rpc.fullName()
                    + " streams in both directions, which needs gRPC (HTTP/2 with trailers)").asRuntimeException());
        }
        Codec codec = Codec.of(in.header(HttpHeaderNames.CONTENT_TYPE));
        // A form or a text/plain post (what a cross-site page can send without a preflight) is refused here.
        if (codec == null || codec.streaming() != rpc.serverStreaming()) {
            String accepted = rpc.unary() ? UNARY_TYPES : STREAM_TYPES;
            response.header("Accept-Post", accepted);
            return Answers.plain(response, HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, rpc.fullName()
                    + " takes Content-Type " + accepted.replace(", ", " or "));
        }
        String version = in.header("connect-protocol-version");
        if (version != null && !version.equals("1")) {
            return Answers.error(response, Status.INVALID_ARGUMENT.withDescription(
                    "connect-protocol-version must be 1, not " + version).asRuntimeException());
        }
        String encoding = in.header(codec.streaming() ? "connect-content-encoding" : "content-encoding");
        if (encoding != null && !encoding.equalsIgnoreCase("identity")) {
            response.header(codec.streaming() ? "connect-accept-encoding" : "accept-encoding", "identity");
            return Answers.error(response, Status.UNIMPLEMENTED.withDescription(
                    "compression " + encoding + " is not supported; send identity").asRuntimeException());
        }
        return codec.streaming() ? stream(in, response, rpc, codec) : unary(in, response, rpc, codec);
    }

    private Mono<Void> unary(Incoming in, HttpServerResponse response, Rpc rpc, Codec codec) {
        return Mono.defer(() -> {
                    var options = in.callOptions();
                    return in.body(maxMessageBytes, response)
                            .map(body -> request(rpc, codec, body))
                            .flatMap(message -> GrpcCalls.unary(in.channel(door), rpc.raw(), options, in.metadata(), message));
                })
                .flatMap(answer -> {
                    byte[] body = codec.json() ? ProtoJson.pretty(parsed(rpc, answer)).getBytes(StandardCharsets.UTF_8)
                            : answer;
                    return response.status(200).header(HttpHeaderNames.CONTENT_TYPE, codec.contentType())
                            .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length))
                            .sendByteArray(Mono.just(body)).then();
                })
                .onErrorResume(error -> Answers.error(response, error));
    }

    private Mono<Void> stream(Incoming in, HttpServerResponse response, Rpc rpc, Codec codec) {
        Flux<ByteBuf> envelopes = Mono.defer(() -> {
                    var options = in.callOptions();
                    return in.body(maxMessageBytes + 5, response).map(body -> request(rpc, codec, unwrap(body)))
                            .map(message -> GrpcCalls.serverStream(in.channel(door), rpc.raw(), options, in.metadata(),
                                    message));
                })
                .flatMapMany(messages -> messages)
                .map(message -> envelope(0, codec.json()
                        ? ProtoJson.compact(parsed(rpc, message)).getBytes(StandardCharsets.UTF_8) : message))
                .concatWith(Mono.fromSupplier(() -> endStream(null)))
                .onErrorResume(error -> Mono.just(endStream(ConnectErrors.status(error))));
        return response.status(200).header(HttpHeaderNames.CONTENT_TYPE, codec.contentType())
                .send(envelopes, buffer -> true).then();
    }

    /** The serialized request: JSON becomes protobuf; JSON that is not the request is MALFORMED_REQUEST. */
    private static byte[] request(Rpc rpc, Codec codec, byte[] body) {
        if (!codec.json()) {
            return body;
        }
        String text = new String(body, StandardCharsets.UTF_8);
        try {
            return ProtoJson.toBytes(rpc.schema().getInputType(), text.isBlank() ? "{}" : text);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw ErrorMapper.malformedRequest(rpc.fullName(), "JSON: " + e.getMessage());
        }
    }

    private static com.google.protobuf.DynamicMessage parsed(Rpc rpc, byte[] answer) {
        try {
            return ProtoJson.parse(rpc.schema().getOutputType(), answer);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("the server answered bytes that are not " + rpc.schema().getOutputType(), e);
        }
    }

    /** The one message of a streaming request's single envelope. */
    private static byte[] unwrap(byte[] body) {
        if (body.length < 5) {
            throw malformed("a streaming request is one envelope: 1 flag byte, a 4-byte length, the message");
        }
        ByteBuffer buffer = ByteBuffer.wrap(body);
        int flags = buffer.get() & 0xff;
        int length = buffer.getInt();
        if ((flags & COMPRESSED) != 0) {
            throw Status.UNIMPLEMENTED.withDescription("compressed envelopes are not supported").asRuntimeException();
        }
        if (length < 0 || length != body.length - 5) {
            throw malformed("the envelope says " + length + " bytes and " + (body.length - 5) + " follow");
        }
        byte[] message = new byte[length];
        buffer.get(message);
        return message;
    }

    private static StatusRuntimeException malformed(String problem) {
        return Status.INVALID_ARGUMENT.withDescription(problem).asRuntimeException();
    }

    private static ByteBuf envelope(int flags, byte[] message) {
        ByteBuf buffer = Unpooled.buffer(5 + message.length);
        buffer.writeByte(flags).writeInt(message.length).writeBytes(message);
        return buffer;
    }

    /** The end of a stream: {@code {}}, or {@code {"error": <Connect error>}}. */
    private static ByteBuf endStream(StatusRuntimeException error) {
        JsonObject end = new JsonObject();
        if (error != null) {
            end.add("error", ConnectErrors.json(error));
        }
        return envelope(END_STREAM, end.toString().getBytes(StandardCharsets.UTF_8));
    }
}
