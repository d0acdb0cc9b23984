package dev.runplane.server.http;

import dev.runplane.server.OperationsConfig;
import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.List;

/**
 * The HTTP face's way in: a private in-process gRPC transport that the server adds beside its own
 * (same services, same interceptors), and the channel to it. Its name is random and never leaves this
 * JVM, which is what makes the HTTP client's address in {@link HttpPeer}'s header trustworthy.
 */
public final class HttpDoor {

    private final String name;
    private final InProcessServerBuilder builder;

    private HttpDoor(String name) {
        this.name = name;
        this.builder = InProcessServerBuilder.forName(name);
        this.builder.intercept(HttpPeer.restore());
    }

    public static HttpDoor create() {
        return new HttpDoor("runplane-http-" + InProcessServerBuilder.generateName());
    }

    /** The transport to hand to the server, before it starts. */
    public ServerBuilder<?> builder() {
        return builder;
    }

    /** Starts the HTTP port in front of the started door's services. */
    public HttpFace open(String bind, OperationsConfig ops, List<ServerServiceDefinition> services) {
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        HttpFace.Tls tls = ops.tls() ? new HttpFace.Tls(ops.tlsCert().toFile(),
                ops.tlsKey() == null ? null : ops.tlsKey().toFile(),
                ops.tlsClientCa() == null ? null : ops.tlsClientCa().toFile()) : null;
        HttpFace.Settings settings = new HttpFace.Settings(bind, ops.http(), tls,
                ops.transport().maxInboundMessageBytes(), ops.transport().maxInboundMetadataBytes());
        return HttpFace.start(settings, channel, services, channel::shutdownNow);
    }

    /** The dashboard's address, as the start-up log prints it. */
    public String url(String bind, OperationsConfig ops, HttpFace face) {
        String host = bind.contains(":") ? "[" + bind + "]" : bind;
        if (host.equals("0.0.0.0") || host.equals("[::]")) {
            host = "127.0.0.1"; // a wildcard bind answers on loopback too; print an address a browser can open
        }
        return (ops.tls() ? "https" : "http") + "://" + host + ":" + face.port() + "/";
    }
}
