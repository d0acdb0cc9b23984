package dev.runplane.server.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A call that more than one party may end, on different threads: the service answering, the parse
 * guard refusing a malformed request, the auth check refusing a key that it looked up later, the
 * sweep that ends the calls of a revoked key. Sending and closing are serialized, and after the first
 * close whatever else is sent or closed is dropped (a ServerCall must not be used after its close).
 */
public class CloseOnceCall<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {

    private boolean closed;

    public CloseOnceCall(ServerCall<ReqT, RespT> call) {
        super(call);
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
        if (!closed) {
            super.sendHeaders(headers);
        }
    }

    @Override
    public synchronized void sendMessage(RespT message) {
        if (!closed) {
            super.sendMessage(message);
        }
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
        if (!closed) {
            closed = true;
            super.close(status, trailers);
        }
    }

    /** Ends the call with this error and its trailers (google.rpc details); false if it had ended already. */
    public synchronized boolean closeWith(StatusRuntimeException error) {
        if (closed) {
            return false;
        }
        close(this, error);
        return true;
    }

    /** Closes any call with this error and its trailers (google.rpc details). */
    public static void close(ServerCall<?, ?> call, StatusRuntimeException error) {
        call.close(error.getStatus(), error.getTrailers() != null ? error.getTrailers() : new Metadata());
    }
}
