package dev.runplane.server.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Counts and times every call by method and status code ({@code runplane_rpc_seconds_count} and
 * {@code _sum} in Prometheus). Installed outermost, so refused calls (auth, limits) count too.
 */
public final class MetricsInterceptor implements ServerInterceptor {

    private final MeterRegistry registry;

    public MetricsInterceptor(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                                 ServerCallHandler<ReqT, RespT> next) {
        long start = System.nanoTime();
        String method = call.getMethodDescriptor().getFullMethodName();
        java.util.concurrent.atomic.AtomicBoolean recorded = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.function.Consumer<Status.Code> record = code -> {
            if (recorded.compareAndSet(false, true)) {
                Timer.builder("runplane.rpc").description("gRPC calls served, by method and status code")
                        .tag("method", method).tag("code", code.name())
                        .register(registry).record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        };
        ServerCall.Listener<ReqT> listener = next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                record.accept(status.getCode());
                super.close(status, trailers);
            }
        }, headers);
        return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                record.accept(Status.Code.CANCELLED); // the client went away before an answer
                super.onCancel();
            }
        };
    }
}
