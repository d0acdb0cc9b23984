package dev.runplane.server.api;

import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.CompleteResponse;
import dev.runplane.v1.FailRequest;
import dev.runplane.v1.FailResponse;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.HeartbeatResponse;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.PollResponse;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.stub.StreamObserver;

/** WorkerService over gRPC. */
public final class WorkerGrpcService extends WorkerServiceGrpc.WorkerServiceImplBase {

    @Override
    public void poll(PollRequest request, StreamObserver<PollResponse> observer) {
        Unimplemented.answer("WorkerService.Poll", observer);
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> observer) {
        Unimplemented.answer("WorkerService.Heartbeat", observer);
    }

    @Override
    public void complete(CompleteRequest request, StreamObserver<CompleteResponse> observer) {
        Unimplemented.answer("WorkerService.Complete", observer);
    }

    @Override
    public void fail(FailRequest request, StreamObserver<FailResponse> observer) {
        Unimplemented.answer("WorkerService.Fail", observer);
    }
}
