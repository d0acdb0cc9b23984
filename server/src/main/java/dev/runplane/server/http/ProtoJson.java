package dev.runplane.server.http;

import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;

/**
 * Protobuf's canonical JSON mapping (JsonFormat) over any message type, by its descriptor
 * (DynamicMessage): the same JSON that grpcurl, buf curl and every Connect client speak.
 */
final class ProtoJson {

    private static final JsonFormat.Parser PARSER = JsonFormat.parser();
    private static final JsonFormat.Printer PRETTY = JsonFormat.printer();
    private static final JsonFormat.Printer COMPACT = JsonFormat.printer().omittingInsignificantWhitespace();

    private ProtoJson() {
    }

    /** The JSON text as the serialized message of this type. */
    static byte[] toBytes(Descriptors.Descriptor type, String json) throws InvalidProtocolBufferException {
        DynamicMessage.Builder builder = DynamicMessage.newBuilder(type);
        PARSER.merge(json, builder);
        return builder.build().toByteArray();
    }

    static DynamicMessage parse(Descriptors.Descriptor type, byte[] bytes) throws InvalidProtocolBufferException {
        return DynamicMessage.parseFrom(type, bytes);
    }

    /** Indented, for people with curl. */
    static String pretty(Message message) {
        try {
            return PRETTY.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a message that JSON cannot show: " + e.getMessage(), e);
        }
    }

    /** One line: SSE's data, streaming envelopes. */
    static String compact(Message message) {
        try {
            return COMPACT.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a message that JSON cannot show: " + e.getMessage(), e);
        }
    }
}
