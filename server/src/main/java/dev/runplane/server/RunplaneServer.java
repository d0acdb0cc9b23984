package dev.runplane.server;

import dev.runplane.server.grpc.ParseGuard;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server: Runplane's services plus health and reflection (v1, and v1alpha for older
 * grpcurl). Takes a {@link ServerBuilder}, so production passes Netty and tests pass in-process.
 * Every service is wrapped the same way: its interceptors (auth), and outside them the
 * {@link ParseGuard}, so that a request which does not parse answers INVALID_ARGUMENT while the
 * interceptors still see parsed messages. Interceptors that need no message (metrics) stay on the
 * transport, outermost.
 */
public final class RunplaneServer {

    private final Server server;
    /** The same services on a private in-process transport, for the HTTP face (null without one). */
    private final Server door;
    private final HealthStatusManager health = new HealthStatusManager();

    public RunplaneServer(ServerBuilder<?> builder, List<BindableService> services, List<ServerInterceptor> interceptors) {
        this(builder, null, services, interceptors);
    }

    /**
     * @param door a second transport (the HTTP face's in-process one) that serves the very same service
     *             objects behind the very same interceptors; null for none
     */
    public RunplaneServer(ServerBuilder<?> builder, ServerBuilder<?> door, List<BindableService> services,
                          List<ServerInterceptor> interceptors) {
        ParseGuard parseGuard = new ParseGuard();
        ServerInterceptor[] chain = interceptors.toArray(ServerInterceptor[]::new);
        java.util.function.Function<ServerServiceDefinition, ServerServiceDefinition> wrap =
                service -> parseGuard.guard(ServerInterceptors.intercept(service, chain));
        this.server = build(builder, services, wrap);
        this.door = door == null ? null : build(door, services, wrap);
    }

    @SuppressWarnings("deprecation") // v1alpha reflection: still what many grpcurl builds ask for
    private Server build(ServerBuilder<?> builder, List<BindableService> services,
                         java.util.function.Function<ServerServiceDefinition, ServerServiceDefinition> wrap) {
        for (BindableService service : services) {
            builder.addService(wrap.apply(service.bindService()));
        }
        // Every handler and interceptor is non-blocking (Reactor all the way down), so calls run on
        // the transport's threads instead of hopping to a thread pool and back: measured, 8% more
        // Runs per second (four alternating runs of 20,000 each, 2,902/s against 2,689/s).
        builder.directExecutor();
        return builder
                .addService(wrap.apply(health.getHealthService().bindService()))
                .addService(wrap.apply(ProtoReflectionServiceV1.newInstance().bindService()))
                .addService(wrap.apply(ProtoReflectionService.newInstance().bindService()))
                .build();
    }

    public RunplaneServer start() {
        try {
            server.start();
            if (door != null) {
                door.start();
            }
        } catch (IOException e) {
            server.shutdownNow();
            throw new UncheckedIOException("could not listen: " + e.getMessage(), e);
        }
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        return this;
    }

    /** The services of the HTTP face's transport, as served (guarded, intercepted); empty without one. */
    public List<ServerServiceDefinition> doorServices() {
        return door == null ? List.of() : door.getServices();
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return server.getPort();
    }

    public HealthStatusManager health() {
        return health;
    }

    /** Health first (so balancers stop sending), then a bounded drain, then force. */
    public void stop(long drainMillis) {
        health.enterTerminalState();
        server.shutdown();
        if (door != null) {
            door.shutdown();
        }
        try {
            if (!server.awaitTermination(drainMillis, TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
            if (door != null && !door.awaitTermination(Math.max(1, drainMillis / 10), TimeUnit.MILLISECONDS)) {
                door.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            if (door != null) {
                door.shutdownNow();
            }
            Thread.currentThread().interrupt();
        }
    }

    public boolean isTerminated() {
        return server.isTerminated();
    }

    /** Stops at once: calls in flight are cancelled. */
    public void stopNow() {
        server.shutdownNow();
        if (door != null) {
            door.shutdownNow();
        }
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }
}
