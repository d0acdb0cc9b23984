package dev.runplane.server.grpc.auth;

import io.grpc.ServerCall;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A call listener that holds the call's events until the real listener is known, so that an
 * interceptor can decide asynchronously (a key lookup) without blocking the transport thread.
 * Events keep their order; once the queue is drained they pass straight through.
 */
final class DeferredListener<ReqT> extends ServerCall.Listener<ReqT> {

    private List<Consumer<ServerCall.Listener<ReqT>>> pending = new ArrayList<>();
    private ServerCall.Listener<ReqT> delegate;
    private boolean passThrough;

    /** Sets the real listener and replays what arrived meanwhile (once). */
    void start(ServerCall.Listener<ReqT> listener) {
        synchronized (this) {
            if (delegate != null) {
                return;
            }
            delegate = listener;
        }
        while (true) {
            List<Consumer<ServerCall.Listener<ReqT>>> toRun;
            synchronized (this) {
                if (pending.isEmpty()) {
                    pending = null;
                    passThrough = true;
                    return;
                }
                toRun = pending;
                pending = new ArrayList<>();
            }
            for (Consumer<ServerCall.Listener<ReqT>> event : toRun) {
                event.accept(listener);
            }
        }
    }

    private void dispatch(Consumer<ServerCall.Listener<ReqT>> event) {
        ServerCall.Listener<ReqT> target;
        synchronized (this) {
            if (!passThrough) {
                pending.add(event);
                return;
            }
            target = delegate;
        }
        event.accept(target);
    }

    @Override
    public void onMessage(ReqT message) {
        dispatch(l -> l.onMessage(message));
    }

    @Override
    public void onHalfClose() {
        dispatch(ServerCall.Listener::onHalfClose);
    }

    @Override
    public void onCancel() {
        dispatch(ServerCall.Listener::onCancel);
    }

    @Override
    public void onComplete() {
        dispatch(ServerCall.Listener::onComplete);
    }

    @Override
    public void onReady() {
        dispatch(ServerCall.Listener::onReady);
    }
}
