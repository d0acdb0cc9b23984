package dev.runplane.server.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.runplane.v1.ItemError;
import io.grpc.protobuf.StatusProto;

/**
 * The error of one item of a batch call: the status the same request alone would have answered
 * ({@link ErrorMapper}), flattened into {@link ItemError} (its code, message, ErrorInfo and BadRequest).
 */
final class ItemErrors {

    private ItemErrors() {
    }

    static ItemError of(Throwable error) {
        io.grpc.StatusRuntimeException mapped = ErrorMapper.toStatus(error);
        com.google.rpc.Status status = StatusProto.fromThrowable(mapped);
        ItemError.Builder item = ItemError.newBuilder();
        if (status == null) { // a plain status without details (INTERNAL, say)
            io.grpc.Status plain = mapped.getStatus();
            return item.setCode(plain.getCode().value())
                    .setMessage(plain.getDescription() == null ? "" : plain.getDescription()).build();
        }
        item.setCode(status.getCode()).setMessage(status.getMessage());
        for (Any detail : status.getDetailsList()) {
            try {
                if (detail.is(ErrorInfo.class)) {
                    ErrorInfo info = detail.unpack(ErrorInfo.class);
                    item.setReason(info.getReason()).putAllMetadata(info.getMetadataMap());
                } else if (detail.is(BadRequest.class)) {
                    for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
                        item.addFieldViolations(ItemError.FieldViolation.newBuilder()
                                .setField(v.getField()).setDescription(v.getDescription()));
                    }
                }
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("a status detail this server packed does not unpack", e);
            }
        }
        return item.build();
    }
}
