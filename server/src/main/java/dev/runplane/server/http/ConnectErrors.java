package dev.runplane.server.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonArray;
import com.google.protobuf.Any;
import com.google.protobuf.Descriptors;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorDetailsProto;
import dev.runplane.server.grpc.ErrorMapper;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A gRPC status as the Connect protocol's error: {@code {"code":"invalid_argument","message":...,
 * "details":[{"type":"google.rpc.BadRequest","value":<base64>,"debug":{...}}]}} and the HTTP status
 * that the protocol maps the code to. The status itself always comes from {@link ErrorMapper}, the one
 * place where failures become statuses: this class only changes their form.
 */
final class ConnectErrors {

    /** google.rpc's detail types, for the human-readable {@code debug} form of a detail. */
    private static final Map<String, Descriptors.Descriptor> DETAIL_TYPES = new HashMap<>();

    static {
        for (Descriptors.Descriptor type : ErrorDetailsProto.getDescriptor().getMessageTypes()) {
            DETAIL_TYPES.put(type.getFullName(), type);
        }
    }

    private ConnectErrors() {
    }

    /** Anything that failed, as a status (through ErrorMapper: unknown failures are logged and INTERNAL). */
    static StatusRuntimeException status(Throwable error) {
        return ErrorMapper.toStatus(error);
    }

    /** The Connect code: the gRPC code's name in lower case, except CANCELLED, which Connect spells canceled. */
    static String code(Status.Code code) {
        return code == Status.Code.CANCELLED ? "canceled" : code.name().toLowerCase(Locale.ROOT);
    }

    /** The HTTP status of a unary error, as connectrpc.com/docs/protocol maps it. */
    static int httpStatus(Status.Code code) {
        return switch (code) {
            case OK -> 200;
            case CANCELLED -> 499;
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
            case DEADLINE_EXCEEDED -> 504;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case PERMISSION_DENIED -> 403;
            case RESOURCE_EXHAUSTED -> 429;
            case UNIMPLEMENTED -> 501;
            case UNAVAILABLE -> 503;
            case UNAUTHENTICATED -> 401;
            case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
        };
    }

    static JsonObject json(StatusRuntimeException error) {
        Status status = error.getStatus();
        JsonObject json = new JsonObject();
        json.addProperty("code", code(status.getCode()));
        if (status.getDescription() != null) {
            json.addProperty("message", status.getDescription());
        }
        com.google.rpc.Status rich = StatusProto.fromThrowable(error);
        if (rich != null && rich.getDetailsCount() > 0) {
            JsonArray details = new JsonArray();
            for (Any detail : rich.getDetailsList()) {
                details.add(detail(detail));
            }
            json.add("details", details);
        }
        return json;
    }

    private static JsonObject detail(Any detail) {
        String typeName = detail.getTypeUrl().substring(detail.getTypeUrl().lastIndexOf('/') + 1);
        JsonObject json = new JsonObject();
        json.addProperty("type", typeName);
        // Connect asks for unpadded base64 (and accepts both).
        json.addProperty("value", Base64.getEncoder().withoutPadding().encodeToString(detail.getValue().toByteArray()));
        Descriptors.Descriptor type = DETAIL_TYPES.get(typeName);
        if (type != null) {
            try {
                json.add("debug", JsonParser.parseString(ProtoJson.compact(ProtoJson.parse(type,
                        detail.getValue().toByteArray()))));
            } catch (InvalidProtocolBufferException e) {
                // the value is still there for clients; only the readable copy is missing
            }
        }
        return json;
    }
}
