package dev.runplane.server.http;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * The adapter's side of the in-process hop, as Reactor types: a unary call as a Mono, a server
 * stream as a Flux that asks the server for a message only when its subscriber (the HTTP response,
 * which follows the socket's writability) asks for one. So a slow HTTP client holds the server's
 * stream back exactly as a slow gRPC client does, and the watcher's slow-watcher bound applies.
 * Cancelling the subscription (the HTTP client went away) cancels the call. A failed call ends the
 * publisher with the status and its trailers (the google.rpc details).
 */
final class GrpcCalls {

    private GrpcCalls() {
    }

    static <Q, R> Mono<R> unary(Channel channel, MethodDescriptor<Q, R> method, CallOptions options,
                                Metadata headers, Q request) {
        return Mono.create(sink -> {
            ClientCall<Q, R> call = channel.newCall(method, options);
            sink.onCancel(() -> call.cancel("the HTTP client went away", null));
            call.start(new ClientCall.Listener<>() {
                private R response;

                @Override
                public void onMessage(R message) {
                    this.response = message;
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    if (!status.isOk()) {
                        sink.error(status.asRuntimeException(trailers));
                    } else if (this.response == null) {
                        sink.error(Status.INTERNAL.withDescription("no response message").asRuntimeException());
                    } else {
                        sink.success(this.response);
                    }
                }
            }, headers);
            call.request(2); // one message, and room to notice a second one (a protocol error upstream)
            call.sendMessage(request);
            call.halfClose();
        });
    }

    static <Q, R> Flux<R> serverStream(Channel channel, MethodDescriptor<Q, R> method, CallOptions options,
                                       Metadata headers, Q request) {
        return Flux.create(sink -> {
            ClientCall<Q, R> call = channel.newCall(method, options);
            sink.onCancel(() -> call.cancel("the HTTP client went away", null));
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(R message) {
                    sink.next(message);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    if (status.isOk()) {
                        sink.complete();
                    } else {
                        sink.error(status.asRuntimeException(trailers));
                    }
                }
            }, headers);
            call.sendMessage(request);
            call.halfClose();
            // Demand passes through: the server sends only what the HTTP response has asked for.
            sink.onRequest(n -> call.request((int) Math.min(n, Integer.MAX_VALUE)));
        }, FluxSink.OverflowStrategy.ERROR);
    }
}
