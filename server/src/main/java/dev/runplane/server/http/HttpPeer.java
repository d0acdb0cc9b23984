package dev.runplane.server.http;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;

/**
 * Carries the HTTP client's address across the in-process hop, so that the auth interceptor judges
 * an HTTP caller as it would judge the same caller over gRPC (loopback or not: core/Actors).
 * <p>
 * An in-process call's own remote address is an in-process one, which the auth interceptor counts as
 * local: without this, every HTTP client would pass as loopback. The adapter's channel adds a header
 * with the real address; {@link #restore()} runs only on the adapter's private in-process server
 * (its name is random and never leaves this JVM), takes the header away and puts the address in the
 * call's transport attributes. A gRPC client cannot forge it: it reaches the Netty server, where no
 * interceptor reads that header. On the private server a call without the header counts as remote
 * (fail closed).
 */
final class HttpPeer {

    static final Metadata.Key<String> PEER = Metadata.Key.of("x-runplane-http-peer", Metadata.ASCII_STRING_MARSHALLER);

    private HttpPeer() {
    }

    /** The header value: the IP literal and the port, so that reading it back needs no DNS. */
    static String encode(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress() + " " + inet.getPort();
        }
        return "";
    }

    /** The client side: adds the HTTP client's address to a call. */
    static ClientInterceptor forward(SocketAddress remote) {
        String value = encode(remote);
        return new ClientInterceptor() {
            @Override
            public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
                                                                       CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<RespT> listener, Metadata headers) {
                        headers.discardAll(PEER);
                        headers.put(PEER, value);
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    /** The server side, on the adapter's in-process server only: the header becomes the remote address. */
    static ServerInterceptor restore() {
        return new ServerInterceptor() {
            @Override
            public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                                         ServerCallHandler<ReqT, RespT> next) {
                SocketAddress remote = decode(headers.get(PEER));
                headers.discardAll(PEER);
                Attributes attributes = call.getAttributes().toBuilder()
                        .set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, remote).build();
                return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public Attributes getAttributes() {
                        return attributes;
                    }
                }, headers);
            }
        };
    }

    /** The address in the header; without one (or unreadable), an address that is not loopback. */
    static SocketAddress decode(String value) {
        if (value != null) {
            int space = value.indexOf(' ');
            if (space > 0 && value.substring(0, space).matches("[0-9A-Fa-f.:]+")) {
                try {
                    // An IP literal: getByName parses it without asking DNS.
                    InetAddress address = InetAddress.getByName(value.substring(0, space));
                    return new InetSocketAddress(address, Integer.parseInt(value.substring(space + 1)));
                } catch (UnknownHostException | NumberFormatException e) {
                    // fall through: unknown caller
                }
            }
        }
        return InetSocketAddress.createUnresolved("unknown", 0);
    }
}
