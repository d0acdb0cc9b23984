package dev.runplane.server.cli;

import dev.runplane.server.OperationsConfig;
import dev.runplane.server.http.HttpConfig;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The launcher's security, transport and metrics flags (a picocli mixin of {@link Main}); see docs/operations.md. */
final class OperationsOptions {

    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec spec;

    private static final OperationsConfig.TransportLimits LIMITS = OperationsConfig.TransportLimits.DEFAULT;

    @Option(names = "--insecure", defaultValue = "${env:RUNPLANE_INSECURE:-false}",
            description = "Allow a non-loopback bind while no API key exists, and let every caller in until one does "
                    + "(env RUNPLANE_INSECURE).")
    boolean insecure;

    @Option(names = "--tls-cert", defaultValue = "${env:RUNPLANE_TLS_CERT}",
            description = "PEM certificate chain: serve TLS (env RUNPLANE_TLS_CERT).")
    Path tlsCert;

    @Option(names = "--tls-key", defaultValue = "${env:RUNPLANE_TLS_KEY}",
            description = "PEM PKCS#8 private key of --tls-cert (env RUNPLANE_TLS_KEY).")
    Path tlsKey;

    @Option(names = "--tls-client-ca", defaultValue = "${env:RUNPLANE_TLS_CLIENT_CA}",
            description = "PEM CA bundle: mutual TLS, client certificates signed by it required (env RUNPLANE_TLS_CLIENT_CA).")
    Path tlsClientCa;

    @Option(names = "--protect-reflection", defaultValue = "${env:RUNPLANE_PROTECT_REFLECTION:-false}",
            description = "Put server reflection behind the read scope (env RUNPLANE_PROTECT_REFLECTION).")
    boolean protectReflection;

    @Option(names = "--max-streams-per-key", defaultValue = "${env:RUNPLANE_MAX_STREAMS_PER_KEY:-100}",
            description = "Open streams per API key; more get RESOURCE_EXHAUSTED (default ${DEFAULT-VALUE}).")
    int maxStreamsPerKey;

    @Option(names = "--max-message-size", defaultValue = "${env:RUNPLANE_MAX_MESSAGE_SIZE:-4194304}",
            description = "Largest inbound message in bytes (default ${DEFAULT-VALUE} = 4 MiB).")
    int maxMessageBytes;

    @Option(names = "--max-metadata-size", defaultValue = "${env:RUNPLANE_MAX_METADATA_SIZE:-16384}",
            description = "Largest inbound metadata (headers) in bytes (default ${DEFAULT-VALUE}).")
    int maxMetadataBytes;

    @Option(names = "--max-calls-per-connection", defaultValue = "${env:RUNPLANE_MAX_CALLS_PER_CONNECTION:-200}",
            description = "Concurrent calls per HTTP/2 connection (default ${DEFAULT-VALUE}).")
    int maxCallsPerConnection;

    @Option(names = "--permit-keepalive-time", defaultValue = "${env:RUNPLANE_PERMIT_KEEPALIVE_TIME:-20s}",
            converter = Durations.Converter.class,
            description = "Most frequent client ping allowed; faster ones get GOAWAY (default ${DEFAULT-VALUE}).")
    Duration permitKeepAliveTime;

    @Option(names = "--max-connection-idle", defaultValue = "${env:RUNPLANE_MAX_CONNECTION_IDLE:-30m}",
            converter = Durations.Converter.class, description = "Close connections idle this long (default ${DEFAULT-VALUE}).")
    Duration maxConnectionIdle;

    @Option(names = "--max-connection-age", defaultValue = "${env:RUNPLANE_MAX_CONNECTION_AGE:-30m}",
            converter = Durations.Converter.class,
            description = "Ask clients to reconnect after this long, so balancers spread streams (default ${DEFAULT-VALUE}).")
    Duration maxConnectionAge;

    @Option(names = "--max-connection-age-grace", defaultValue = "${env:RUNPLANE_MAX_CONNECTION_AGE_GRACE:-1m}",
            converter = Durations.Converter.class,
            description = "Time calls get to finish after that, then the connection closes (default ${DEFAULT-VALUE}).")
    Duration maxConnectionAgeGrace;

    @Option(names = "--metrics-port", defaultValue = "${env:RUNPLANE_METRICS_PORT}",
            description = "Serve Prometheus metrics on http://BIND:PORT/metrics (env RUNPLANE_METRICS_PORT; off by default).")
    Integer metricsPort;

    @Option(names = "--http-port", defaultValue = "${env:RUNPLANE_HTTP_PORT:-8080}",
            description = "HTTP port of the dashboard, Connect/JSON, SSE and webhooks, on --bind (env RUNPLANE_HTTP_PORT; "
                    + "default ${DEFAULT-VALUE}; 0 picks a free one; off disables it).")
    String httpPort;

    @Option(names = "--http-cors-origin", split = ",", defaultValue = "${env:RUNPLANE_HTTP_CORS_ORIGIN}",
            description = "Origins (scheme://host[:port]) whose pages may call the HTTP port cross-origin; repeat or "
                    + "separate with commas (env RUNPLANE_HTTP_CORS_ORIGIN; default: none, no CORS).")
    java.util.List<String> httpCorsOrigins;

    OperationsConfig toConfig() {
        OperationsConfig defaults = OperationsConfig.defaults();
        OperationsConfig.TransportLimits limits = new OperationsConfig.TransportLimits(maxMessageBytes, maxMetadataBytes,
                maxCallsPerConnection, permitKeepAliveTime, LIMITS.permitKeepAliveWithoutCalls(), maxConnectionIdle,
                maxConnectionAge, maxConnectionAgeGrace);
        HttpConfig http;
        try {
            http = new HttpConfig(HttpConfig.parsePort(httpPort), httpCorsOrigins == null ? java.util.List.of()
                    : httpCorsOrigins.stream().map(String::trim).filter(o -> !o.isEmpty()).toList(), HttpConfig.DASHBOARD);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        return new OperationsConfig(insecure, protectReflection, defaults.keyCacheTtl(), maxStreamsPerKey, tlsCert,
                tlsKey, tlsClientCa, limits, metricsPort, defaults.databaseCheckInterval(), http);
    }
}
