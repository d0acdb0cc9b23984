package dev.runplane.server.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The bridge between Reactor and grpc-java's server stubs (see TOOLCHAIN.md for why not
 * reactive-grpc): a client cancel or deadline disposes the pipeline, errors go through
 * {@link ErrorMapper}, and streams only ask for the next item while the transport is ready.
 */
public final class GrpcReactor {

    private GrpcReactor() {
    }

    /** Answers a unary call with the Mono's one value; an empty Mono is an INTERNAL error, not a silent CANCELLED. */
    public static <T> void unary(Mono<T> response, StreamObserver<T> observer) {
        ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) observer;
        Disposable.Swap subscription = Disposables.swap();
        call.setOnCancelHandler(subscription::dispose);
        subscription.update(response
                .switchIfEmpty(Mono.error(() -> Status.INTERNAL.withDescription("no response").asRuntimeException()))
                .subscribe(value -> {
                    call.onNext(value);
                    call.onCompleted();
                }, error -> call.onError(ErrorMapper.toStatus(error))));
    }

    /** Streams the Flux to the client, one item per ready window, bounded by gRPC flow control. */
    public static <T> void serverStream(Flux<T> responses, StreamObserver<T> observer) {
        ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) observer;
        ReadinessSubscriber<T> subscriber = new ReadinessSubscriber<>(call);
        call.setOnCancelHandler(subscriber::dispose);
        call.setOnReadyHandler(subscriber::requestIfReady);
        responses.subscribe(subscriber);
    }

    /** Requests one item at a time, and only while the call can take it without buffering. */
    private static final class ReadinessSubscriber<T> extends BaseSubscriber<T> {

        private final ServerCallStreamObserver<T> call;
        private boolean waiting;

        ReadinessSubscriber(ServerCallStreamObserver<T> call) {
            this.call = call;
        }

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            requestIfReady();
        }

        @Override
        protected void hookOnNext(T value) {
            synchronized (this) {
                waiting = false;
            }
            call.onNext(value);
            requestIfReady();
        }

        /** Asks for one more item if the transport is ready and none is outstanding. */
        synchronized void requestIfReady() {
            if (!waiting && !isDisposed() && call.isReady()) {
                waiting = true;
                request(1);
            }
        }

        @Override
        protected void hookOnComplete() {
            if (!call.isCancelled()) {
                call.onCompleted();
            }
        }

        /*
         * A stream can fail at the moment its client goes away (the server ends its watchers at
         * shutdown while clients disconnect): closing a cancelled call would throw inside Reactor
         * and be logged as a dropped error, so a cancelled call is left alone.
         */
        @Override
        protected void hookOnError(Throwable error) {
            if (!call.isCancelled()) {
                call.onError(ErrorMapper.toStatus(error));
            }
        }
    }
}
