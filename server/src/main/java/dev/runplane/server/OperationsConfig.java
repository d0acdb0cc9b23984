package dev.runplane.server;

import dev.runplane.server.http.HttpConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Security, transport and observability settings (issue 7), kept apart from {@link ServerConfig} so
 * that each can grow on its own. Defaults are the documented ones (docs/operations.md).
 *
 * @param insecure allow a non-loopback bind with no key yet, and let anyone in while no key exists
 * @param protectReflection put the reflection services behind the READ scope
 * @param keyCacheTtl how long a checked key is trusted before it is read again: the bound on how late a
 *                    revocation reaches a replica
 * @param tlsCert PEM certificate chain; null: plaintext
 * @param tlsClientCa PEM CA bundle; non-null: mutual TLS, client certificates required
 * @param metricsPort null: no metrics endpoint
 * @param http the HTTP face (issue 20); off by default here, so tests never bind 8080 (the launcher's default)
 */
public record OperationsConfig(boolean insecure, boolean protectReflection, Duration keyCacheTtl,
                               int maxStreamsPerKey, Path tlsCert, Path tlsKey, Path tlsClientCa,
                               TransportLimits transport, Integer metricsPort, Duration databaseCheckInterval,
                               HttpConfig http) {

    public static OperationsConfig defaults() {
        return new OperationsConfig(false, false, Duration.ofSeconds(2), 100, null, null, null,
                TransportLimits.DEFAULT, null, Duration.ofSeconds(1), HttpConfig.OFF);
    }

    public boolean tls() {
        return tlsCert != null;
    }

    public OperationsConfig withInsecure(boolean value) {
        return new OperationsConfig(value, protectReflection, keyCacheTtl, maxStreamsPerKey, tlsCert, tlsKey,
                tlsClientCa, transport, metricsPort, databaseCheckInterval, http);
    }

    public OperationsConfig withProtectReflection(boolean value) {
        return new OperationsConfig(insecure, value, keyCacheTtl, maxStreamsPerKey, tlsCert, tlsKey, tlsClientCa,
                transport, metricsPort, databaseCheckInterval, http);
    }

    public OperationsConfig withMaxStreamsPerKey(int value) {
        return new OperationsConfig(insecure, protectReflection, keyCacheTtl, value, tlsCert, tlsKey, tlsClientCa,
                transport, metricsPort, databaseCheckInterval, http);
    }

    public OperationsConfig withTls(Path cert, Path key, Path clientCa) {
        return new OperationsConfig(insecure, protectReflection, keyCacheTtl, maxStreamsPerKey, cert, key, clientCa,
                transport, metricsPort, databaseCheckInterval, http);
    }

    public OperationsConfig withTransport(TransportLimits value) {
        return new OperationsConfig(insecure, protectReflection, keyCacheTtl, maxStreamsPerKey, tlsCert, tlsKey,
                tlsClientCa, value, metricsPort, databaseCheckInterval, http);
    }

    public OperationsConfig withMetricsPort(Integer value) {
        return new OperationsConfig(insecure, protectReflection, keyCacheTtl, maxStreamsPerKey, tlsCert, tlsKey,
                tlsClientCa, transport, value, databaseCheckInterval, http);
    }

    public OperationsConfig withHttp(HttpConfig value) {
        return new OperationsConfig(insecure, protectReflection, keyCacheTtl, maxStreamsPerKey, tlsCert, tlsKey,
                tlsClientCa, transport, metricsPort, databaseCheckInterval, value);
    }

    /**
     * Limits of the HTTP/2 transport (Netty only; in-process servers take the message and metadata sizes).
     *
     * @param permitKeepAliveTime the most often a client may ping; faster pings get GOAWAY (too_many_pings)
     * @param maxConnectionAge then the server asks the client to reconnect (GOAWAY), so that load balancers
     *                         spread long-lived streams again; calls get {@code maxConnectionAgeGrace} to finish
     */
    public record TransportLimits(int maxInboundMessageBytes, int maxInboundMetadataBytes,
                                  int maxConcurrentCallsPerConnection, Duration permitKeepAliveTime,
                                  boolean permitKeepAliveWithoutCalls, Duration maxConnectionIdle,
                                  Duration maxConnectionAge, Duration maxConnectionAgeGrace) {

        public static final TransportLimits DEFAULT = new TransportLimits(4 * 1024 * 1024, 16 * 1024, 200,
                Duration.ofSeconds(20), false, Duration.ofMinutes(30), Duration.ofMinutes(30), Duration.ofMinutes(1));
    }
}
