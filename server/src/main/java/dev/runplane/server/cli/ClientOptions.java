package dev.runplane.server.cli;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How every client-side command (keys, worker) reaches a server: address, API key, TLS. A picocli
 * mixin: {@code @Mixin ClientOptions client;} then {@code client.channel()} and {@code client.keyInterceptor()}.
 */
public final class ClientOptions {

    @Option(names = "--server", defaultValue = "${env:RUNPLANE_SERVER:-127.0.0.1:50051}",
            description = "Server as HOST:PORT (env RUNPLANE_SERVER; default ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--api-key", defaultValue = "${env:RUNPLANE_API_KEY}",
            description = "API key rpk_<id>_<secret> (env RUNPLANE_API_KEY; prefer the variable: flags show in ps).")
    String apiKey;

    @Option(names = "--tls-ca", defaultValue = "${env:RUNPLANE_TLS_CA}",
            description = "Connect with TLS, trusting this PEM CA bundle (env RUNPLANE_TLS_CA).")
    Path tlsCa;

    @Option(names = "--tls", description = "Connect with TLS, trusting the system's CAs.")
    boolean tls;

    @Option(names = "--tls-cert", defaultValue = "${env:RUNPLANE_TLS_CERT}",
            description = "PEM client certificate, for servers that require mutual TLS (env RUNPLANE_TLS_CERT).")
    Path tlsCert;

    @Option(names = "--tls-key", defaultValue = "${env:RUNPLANE_TLS_KEY}",
            description = "PEM private key of --tls-cert (env RUNPLANE_TLS_KEY).")
    Path tlsKey;

    @Option(names = "--insecure", defaultValue = "${env:RUNPLANE_INSECURE:-false}",
            description = "Allow plaintext to a server that is not on loopback (env RUNPLANE_INSECURE).")
    boolean insecure;

    /** The server's address as given. */
    public String server() {
        return server;
    }

    /** A channel to the server: TLS if asked for, plaintext only to loopback unless --insecure. */
    public ManagedChannel channel() {
        return Grpc.newChannelBuilder(server, credentials()).build();
    }

    /** Sends the API key, if one was given, as {@code authorization: Bearer ...}. */
    public ClientInterceptor keyInterceptor() {
        Metadata headers = new Metadata();
        if (hasApiKey()) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + apiKey.strip());
        }
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    ChannelCredentials credentials() {
        if (tls || tlsCa != null || tlsCert != null) {
            try {
                TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
                if (tlsCa != null) {
                    builder.trustManager(tlsCa.toFile());
                }
                if (tlsCert != null) {
                    if (tlsKey == null) {
                        throw new IllegalArgumentException("--tls-cert needs --tls-key");
                    }
                    builder.keyManager(tlsCert.toFile(), tlsKey.toFile());
                }
                return builder.build();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the TLS files: " + e.getMessage(), e);
            }
        }
        if (!insecure && !isLoopback(host(server))) {
            throw new IllegalArgumentException("refusing plaintext to " + server
                    + ": the API key would travel in clear text. Use --tls-ca FILE (or --tls), or --insecure on purpose.");
        }
        return InsecureChannelCredentials.create();
    }

    static String host(String target) {
        int colon = target.lastIndexOf(':');
        String host = colon > 0 ? target.substring(0, colon) : target;
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Whether calls carry an API key (--api-key or RUNPLANE_API_KEY). */
    boolean hasApiKey() {
        return apiKey != null && !apiKey.isBlank();
    }
}
