package dev.runplane.server.http;

import io.grpc.Channel;
import io.grpc.ServerServiceDefinition;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.ClientAuth;
import java.io.File;
import java.time.Duration;
import java.util.List;
import org.reactivestreams.Publisher;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http2SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The HTTP port (issue 20): HTTP/1.1 and h2c (or HTTP/2 over TLS with the gRPC port's certificate),
 * on reactor-netty. It serves the Connect protocol at the gRPC paths, Server-Sent Events for the two
 * watch RPCs, webhooks at {@code /v1/pipelines/{pipeline}/runs} and the dashboard's static files;
 * every call goes through the server's private in-process channel (see {@link HttpPeer}). Nothing is
 * logged per request, so no key reaches a log line.
 */
public final class HttpFace implements AutoCloseable {

    private final DisposableServer server;
    /** Closes the in-process channel once the port is closed. */
    private final Runnable onClose;

    private HttpFace(DisposableServer server, Runnable onClose) {
        this.server = server;
        this.onClose = onClose;
    }

    /** What the HTTP face needs of the server it fronts. */
    public record Settings(String bind, HttpConfig http, Tls tls, int maxMessageBytes, int maxHeaderBytes) {
    }

    /** The gRPC port's certificate flags; null cert: plaintext. */
    public record Tls(File cert, File key, File clientCa) {
    }

    /**
     * Listens now.
     *
     * @param door the in-process channel to the server's private in-process transport
     * @param services the services behind it, whose descriptors say which paths exist
     */
    public static HttpFace start(Settings settings, Channel door, List<ServerServiceDefinition> services,
                                 Runnable onClose) {
        Router router = new Router(settings, door, Rpcs.of(services));
        HttpServer http = HttpServer.create()
                .host(settings.bind())
                .port(settings.http().port())
                .httpRequestDecoder(spec -> spec.maxHeaderSize(settings.maxHeaderBytes())
                        // An h2c upgrade request's body is buffered whole: the same limit as any message.
                        .h2cMaxContentLength(settings.maxMessageBytes()))
                .idleTimeout(Duration.ofMinutes(5))
                .handle(router::route);
        if (settings.tls() != null && settings.tls().cert() != null) {
            Tls tls = settings.tls();
            Http2SslContextSpec spec = Http2SslContextSpec.forServer(tls.cert(), tls.key());
            if (tls.clientCa() != null) {
                spec = spec.configure(builder -> builder.trustManager(tls.clientCa()).clientAuth(ClientAuth.REQUIRE));
            }
            Http2SslContextSpec secure = spec;
            http = http.protocol(HttpProtocol.HTTP11, HttpProtocol.H2).secure(s -> s.sslContext(secure));
        } else {
            http = http.protocol(HttpProtocol.HTTP11, HttpProtocol.H2C);
        }
        return new HttpFace(http.bindNow(), onClose);
    }

    public int port() {
        return ((java.net.InetSocketAddress) server.address()).getPort();
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(5));
        onClose.run();
    }

    /** Which handler answers a request: by path first, then by method and headers. */
    private static final class Router {

        private final Rpcs rpcs;
        private final Cors cors;
        private final ConnectHandler connect;
        private final SseHandler sse;
        private final StaticFiles files;

        Router(Settings settings, Channel door, Rpcs rpcs) {
            this.rpcs = rpcs;
            this.cors = new Cors(settings.http().corsOrigins());
            this.connect = new ConnectHandler(door, settings.maxMessageBytes());
            this.sse = new SseHandler(door);
            this.files = new StaticFiles(settings.http().staticRoot());
        }

        Publisher<Void> route(HttpServerRequest request, HttpServerResponse response) {
            Incoming in = new Incoming(request);
            try {
                in.refuseKeyInUrl();
            } catch (RuntimeException refused) {
                return Answers.error(response, refused);
            }
            if (Cors.isPreflight(in)) {
                return cors.preflight(in, response);
            }
            cors.decorate(in, response);
            var rpc = rpcs.at(in.path());
            if (rpc.isPresent()) {
                boolean streaming = rpc.get().serverStreaming();
                if (streaming && request.method().equals(HttpMethod.GET) && SseHandler.accepts(in)) {
                    return sse.handle(in, response, rpc.get());
                }
                if (!request.method().equals(HttpMethod.POST)) {
                    response.header(HttpHeaderNames.ALLOW, streaming ? "POST, GET" : "POST");
                    return Answers.plain(response, HttpResponseStatus.METHOD_NOT_ALLOWED, rpc.get().fullName()
                            + " takes POST" + (streaming ? ", or GET with Accept: text/event-stream" : ""));
                }
                return connect.handle(in, response, rpc.get());
            }
            return files.handle(in, response);
        }
    }

}
