package dev.runplane.server.testing;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Reads the google.rpc details of a failed call, as a client in any language would. */
public final class Errors {

    private Errors() {
    }

    /** Runs the call, asserts it failed with this code, and returns the error. */
    public static StatusRuntimeException expect(Status.Code code, Executable call) {
        StatusRuntimeException error = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, error.getStatus().getCode(), () -> "status: " + error.getStatus());
        return error;
    }

    /** The fields named by the BadRequest detail. */
    public static List<String> violatedFields(StatusRuntimeException error) {
        return details(error, BadRequest.class)
                .map(b -> b.getFieldViolationsList().stream().map(BadRequest.FieldViolation::getField).toList())
                .orElse(List.of());
    }

    public static Optional<ErrorInfo> errorInfo(StatusRuntimeException error) {
        return details(error, ErrorInfo.class);
    }

    public static <T extends com.google.protobuf.Message> Optional<T> details(StatusRuntimeException error,
                                                                            Class<T> type) {
        com.google.rpc.Status status = StatusProto.fromThrowable(error);
        if (status == null) {
            return Optional.empty();
        }
        return status.getDetailsList().stream().filter(any -> any.is(type)).findFirst().map(any -> {
            try {
                return any.unpack(type);
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        });
    }
}
