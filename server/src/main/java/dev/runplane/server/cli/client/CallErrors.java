package dev.runplane.server.cli.client;

import com.google.rpc.BadRequest;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.List;

/**
 * A failed call as one line for stderr: {@code error: CODE: field: description} for each field that
 * the server's BadRequest names (joined with "; "), else {@code error: CODE: message}.
 */
final class CallErrors {

    private CallErrors() {
    }

    static String line(StatusRuntimeException error, String server) {
        Status status = error.getStatus();
        com.google.rpc.Status details = StatusProto.fromThrowable(error);
        List<String> fields = new ArrayList<>();
        boolean fromServer = false;
        if (details != null) {
            fromServer = !details.getDetailsList().isEmpty(); // our server's errors carry details; a transport's none
            for (Any any : details.getDetailsList()) {
                try {
                    if (any.is(BadRequest.class)) {
                        for (BadRequest.FieldViolation v : any.unpack(BadRequest.class).getFieldViolationsList()) {
                            fields.add(v.getField() + ": " + v.getDescription());
                        }
                    }
                } catch (InvalidProtocolBufferException e) {
                    // A detail we cannot read: the message below still says what happened.
                }
            }
        }
        String text;
        if (!fields.isEmpty()) {
            text = String.join("; ", fields);
        } else if (status.getCode() == Status.Code.UNAVAILABLE && !fromServer) {
            // Nothing answered: the transport's own words, and where it tried.
            Throwable cause = status.getCause();
            text = "cannot reach " + server + (cause != null && cause.getMessage() != null
                    ? " (" + cause.getMessage() + ")" : status.getDescription() != null
                    ? " (" + status.getDescription() + ")" : "");
        } else {
            text = status.getDescription() == null ? "" : status.getDescription();
        }
        return "error: " + status.getCode() + (text.isEmpty() ? "" : ": " + Human.clip(text, 1000));
    }
}
