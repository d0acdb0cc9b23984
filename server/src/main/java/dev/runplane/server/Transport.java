package dev.runplane.server;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** The Netty server transport: TLS (and mutual TLS) from PEM files, and the HTTP/2 limits. */
final class Transport {

    private Transport() {
    }

    static NettyServerBuilder netty(ServerConfig config, OperationsConfig ops) {
        OperationsConfig.TransportLimits limits = ops.transport();
        return NettyServerBuilder.forAddress(new InetSocketAddress(config.bind(), config.port()), credentials(ops))
                .maxInboundMessageSize(limits.maxInboundMessageBytes())
                .maxInboundMetadataSize(limits.maxInboundMetadataBytes())
                .maxConcurrentCallsPerConnection(limits.maxConcurrentCallsPerConnection())
                .permitKeepAliveTime(limits.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveWithoutCalls(limits.permitKeepAliveWithoutCalls())
                .maxConnectionIdle(limits.maxConnectionIdle().toMillis(), TimeUnit.MILLISECONDS)
                .maxConnectionAge(limits.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
                .maxConnectionAgeGrace(limits.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS);
    }

    static ServerCredentials credentials(OperationsConfig ops) {
        if (!ops.tls()) {
            return InsecureServerCredentials.create();
        }
        if (ops.tlsKey() == null) {
            throw new IllegalArgumentException("--tls-cert needs --tls-key (the PEM private key)");
        }
        try {
            TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
                    .keyManager(ops.tlsCert().toFile(), ops.tlsKey().toFile());
            if (ops.tlsClientCa() != null) {
                tls.trustManager(ops.tlsClientCa().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
            }
            return tls.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TLS files: " + e.getMessage(), e);
        }
    }
}
