package dev.runplane.server.api;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** The answer of an RPC that is in the contract but not in this server yet. */
final class Unimplemented {

    private Unimplemented() {
    }

    static void answer(String method, StreamObserver<?> observer) {
        observer.onError(Status.UNIMPLEMENTED
                .withDescription(method + " is part of the runplane.v1 contract but not implemented by this server yet")
                .asRuntimeException());
    }
}
