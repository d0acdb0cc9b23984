package dev.runplane.server.security;

import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.Keys;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A reflection stream held open (a stream that needs a key when reflection is protected). */
final class OpenStream implements AutoCloseable {

    private final StreamObserver<ServerReflectionRequest> requests;
    private final CompletableFuture<ServerReflectionResponse> first = new CompletableFuture<>();
    private final CompletableFuture<Throwable> error = new CompletableFuture<>();

    private OpenStream(Channel channel, String token) {
        this.requests = Keys.withKey(ServerReflectionGrpc.newStub(channel), token).serverReflectionInfo(
                new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        first.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        error.complete(t);
                        first.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    }

    static OpenStream reflection(Channel channel, String token) {
        return new OpenStream(channel, token);
    }

    /** Opens streams until one is accepted (a freed slot is released asynchronously), within 10 s. */
    static OpenStream awaitAccepted(Channel channel, String token) throws Exception {
        return Eventually.awaitPresent(Duration.ofSeconds(10), "a reflection stream accepted", () -> {
            OpenStream stream = new OpenStream(channel, token);
            stream.awaitFirstAnswer(); // a refused stream throws: not yet, open another
            return Optional.of(stream);
        });
    }

    void awaitFirstAnswer() throws Exception {
        first.get(10, TimeUnit.SECONDS);
    }

    StatusRuntimeException awaitError() throws Exception {
        return (StatusRuntimeException) error.get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        try {
            requests.onCompleted();
        } catch (IllegalStateException alreadyClosed) {
            // the server ended it
        }
    }
}
