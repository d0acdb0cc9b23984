package dev.runplane.server.http;

import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.runplane.server.core.error.InvalidArgumentException;
import dev.runplane.server.grpc.ErrorMapper;
import io.grpc.Channel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Server-Sent Events for browsers: a GET on a server-streaming path with {@code Accept:
 * text/event-stream} and the request in Connect's GET form ({@code ?encoding=json&message=<JSON>}).
 * Each response message is one event: {@code event:} the name of the response field that is set
 * (read from the descriptor, so new fields name themselves), {@code data:} the whole message as JSON
 * on one line, {@code id:} the resume point when the message has one. The resume point is found from
 * the request: its {@code after_<name>} field (after_sequence, after_revision) names the field
 * ({@code sequence}, {@code revision}) of the set response field that resumes there; a value of 0
 * (a snapshot row) gets no id. A reconnect's {@code Last-Event-ID} goes into that request field and
 * turns {@code snapshot} off (the client has it). An error ends the stream with {@code event: error}
 * and the Connect error JSON; a stream that ends normally ends with {@code event: end}.
 */
final class SseHandler {

    private static final String RESUME_PREFIX = "after_";
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private final Channel door;
    private final SseFrames frames = new SseFrames(4096);

    SseHandler(Channel door) {
        this.door = door;
    }

    static boolean accepts(Incoming in) {
        String accept = in.header(HttpHeaderNames.ACCEPT);
        return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("text/event-stream");
    }

    Mono<Void> handle(Incoming in, HttpServerResponse response, Rpc rpc) {
        Descriptors.Descriptor input = rpc.schema().getInputType();
        Descriptors.FieldDescriptor resume = resumeField(input);
        byte[] request;
        io.grpc.CallOptions options;
        try {
            request = request(in, rpc, input, resume);
            options = in.callOptions();
        } catch (RuntimeException refused) {
            // Before the stream: an HTTP error status, which makes EventSource stop instead of retrying.
            return Answers.error(response, refused);
        }
        String key = resume == null ? null : resume.getName().substring(RESUME_PREFIX.length());
        Descriptors.Descriptor output = rpc.schema().getOutputType();
        Flux<ByteBuf> events = GrpcCalls.serverStream(in.channel(door), rpc.raw(), options, in.metadata(), request)
                .map(bytes -> Unpooled.wrappedBuffer(frames.frame(rpc.fullName() + "?" + key, bytes,
                        b -> format(parse(output, b), key).getBytes(StandardCharsets.UTF_8))))
                .concatWith(Mono.fromSupplier(() -> text("event: end\ndata: {}\n\n")))
                .onErrorResume(error -> Mono.just(text("event: error\ndata: "
                        + ConnectErrors.json(ConnectErrors.status(error)) + "\n\n")));
        return response.status(200)
                .header(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .header(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                .header("X-Accel-Buffering", "no") // proxies (nginx) pass each event at once
                // Every event is flushed as it comes; send() asks for the next only while the socket takes it.
                .send(Flux.just(text(": " + rpc.fullName() + "\n\n")).concatWith(events), buffer -> true)
                .then();
    }

    /** The request's int64 field {@code after_*}, if it has one. */
    static Descriptors.FieldDescriptor resumeField(Descriptors.Descriptor input) {
        for (Descriptors.FieldDescriptor field : input.getFields()) {
            if (field.getName().startsWith(RESUME_PREFIX) && field.getJavaType() == Descriptors.FieldDescriptor.JavaType.LONG
                    && !field.isRepeated()) {
                return field;
            }
        }
        return null;
    }

    private static byte[] request(Incoming in, Rpc rpc, Descriptors.Descriptor input,
                                  Descriptors.FieldDescriptor resume) {
        String encoding = in.parameter("encoding");
        String message = in.parameter("message");
        boolean base64 = "1".equals(in.parameter("base64"));
        DynamicMessage.Builder builder = DynamicMessage.newBuilder(input);
        try {
            if (encoding == null || encoding.equals("json")) {
                String json = message == null ? "{}" : base64
                        ? new String(Base64.getUrlDecoder().decode(message), StandardCharsets.UTF_8) : message;
                PARSER.merge(json, builder);
            } else if (encoding.equals("proto")) {
                if (message != null) {
                    builder.mergeFrom(base64 ? Base64.getUrlDecoder().decode(message)
                            : message.getBytes(StandardCharsets.ISO_8859_1));
                }
            } else {
                throw InvalidArgumentException.of("encoding", "must be json or proto");
            }
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            if (e instanceof InvalidArgumentException refused) {
                throw refused;
            }
            throw ErrorMapper.malformedRequest(rpc.fullName(), "message: " + e.getMessage());
        }
        resume(builder, resume, in.header("last-event-id"));
        return builder.build().toByteArray();
    }

    /**
     * A reconnect's Last-Event-ID into the request's resume field (it wins over the request's own
     * value), with {@code snapshot} turned off: the client has it, a second one would repeat it.
     */
    static void resume(DynamicMessage.Builder request, Descriptors.FieldDescriptor resume, String lastEventId) {
        if (lastEventId == null || resume == null) {
            return;
        }
        long position;
        try {
            position = Long.parseLong(lastEventId.trim());
        } catch (NumberFormatException e) {
            throw InvalidArgumentException.of("Last-Event-ID", "must be the id of an event of this stream");
        }
        request.setField(resume, position);
        Descriptors.FieldDescriptor snapshot = request.getDescriptorForType().findFieldByName("snapshot");
        if (snapshot != null && snapshot.getJavaType() == Descriptors.FieldDescriptor.JavaType.BOOLEAN) {
            request.clearField(snapshot);
        }
    }

    private static DynamicMessage parse(Descriptors.Descriptor output, byte[] bytes) {
        try {
            return ProtoJson.parse(output, bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("the server streamed bytes that are not " + output.getFullName(), e);
        }
    }

    /** One message as one event: the set field's name, its resume point, the message as one line of JSON. */
    static String format(DynamicMessage message, String key) {
        StringBuilder event = new StringBuilder(256);
        Map.Entry<Descriptors.FieldDescriptor, Object> set = message.getAllFields().entrySet().stream().findFirst()
                .orElse(null);
        event.append("event: ").append(set == null ? "message" : set.getKey().getName()).append('\n');
        if (set != null && key != null && set.getValue() instanceof Message field) {
            Descriptors.FieldDescriptor position = field.getDescriptorForType().findFieldByName(key);
            if (position != null && position.getJavaType() == Descriptors.FieldDescriptor.JavaType.LONG) {
                long value = (Long) field.getField(position);
                if (value != 0) {
                    event.append("id: ").append(value).append('\n');
                }
            }
        }
        event.append("data: ").append(ProtoJson.compact(message)).append("\n\n");
        return event.toString();
    }

    private static ByteBuf text(String text) {
        return Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8));
    }
}
