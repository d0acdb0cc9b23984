package dev.runplane.server.grpc.auth;

import dev.runplane.server.core.ExecutionQueries;
import dev.runplane.server.core.auth.ApiKey;
import dev.runplane.server.core.auth.Authenticator;
import dev.runplane.server.core.auth.Scope;
import dev.runplane.server.core.error.AuthenticationException;
import dev.runplane.server.core.error.PermissionDeniedException;
import dev.runplane.server.core.error.ResourceExhaustedException;
import dev.runplane.server.grpc.CloseOnceCall;
import dev.runplane.server.grpc.ErrorMapper;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;

/**
 * Every call passes here first: the API key (bearer token) is checked against {@link MethodScopes},
 * a key's pipeline allow-list against the request, and a key's open streams against its limit.
 * A call opened with a key ends when the key stops being usable ({@link OpenCalls}); a call with
 * two authorization headers is refused (which one counts would be anyone's guess).
 * While no key exists, loopback callers (and, with --insecure, everyone) pass without one.
 * Refusals go through {@link ErrorMapper}; a cached key costs no database round trip.
 */
public final class AuthInterceptor implements ServerInterceptor {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AuthInterceptor.class);

    /** The key of the current call; absent during the loopback bootstrap. */
    public static final Context.Key<ApiKey> API_KEY = Context.key("runplane-api-key");

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final Authenticator authenticator;
    private final PipelineAllowList allowList;
    private final boolean insecure;
    private final boolean protectReflection;
    private final int maxStreamsPerKey;
    private final Map<String, AtomicInteger> openStreams = new ConcurrentHashMap<>();
    /** Calls in progress by key: they end when their key stops being usable (revocation, expiry). */
    private final OpenCalls openCalls;

    /** @param queries where the pipelines of executions named by id are looked up, for restricted keys */
    public AuthInterceptor(Authenticator authenticator, ExecutionQueries queries, boolean insecure,
                           boolean protectReflection, int maxStreamsPerKey) {
        this.authenticator = authenticator;
        this.allowList = new PipelineAllowList(queries);
        this.insecure = insecure;
        this.protectReflection = protectReflection;
        this.maxStreamsPerKey = maxStreamsPerKey;
        this.openCalls = new OpenCalls(authenticator);
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                                 ServerCallHandler<ReqT, RespT> next) {
        MethodDescriptor<ReqT, RespT> method = call.getMethodDescriptor();
        Scope scope = MethodScopes.required(method.getServiceName(), method.getBareMethodName(), protectReflection);
        if (scope == null) {
            return next.startCall(call, headers);
        }
        String authorization = headers.get(AUTHORIZATION);
        int presented = count(headers.getAll(AUTHORIZATION));
        if (presented > 1) {
            // Which one would win is up to every proxy on the way: refuse rather than guess.
            DeferredListener<ReqT> refused = new DeferredListener<>();
            refuse(call, refused, new AuthenticationException("API_KEY_AMBIGUOUS", "this call has " + presented
                    + " authorization headers; send exactly one 'authorization: Bearer rpk_<id>_<secret>'"));
            return refused;
        }
        boolean local = isLocal(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        Mono<ApiKey> caller = authorization != null ? authenticator.verify(authorization)
                : authenticator.keysExist().flatMap(exists -> !exists && (local || insecure) ? Mono.<ApiKey>empty()
                        : authenticator.verify(null));
        DeferredListener<ReqT> listener = new DeferredListener<>();
        Context context = Context.current();
        caller.map(key -> {
                    checkScope(key, scope);
                    if (!key.pipelines().isEmpty() && !allowList.covers(method.getFullMethodName())) {
                        throw new PermissionDeniedException("PIPELINE_NOT_ALLOWED", String.join(",", key.pipelines()),
                                "API key " + key.id() + " is restricted to pipelines " + key.pipelines() + " and "
                                        + method.getBareMethodName() + " is not limited to pipelines");
                    }
                    return key;
                })
                .map(java.util.Optional::of)
                .defaultIfEmpty(java.util.Optional.empty())
                .subscribe(key -> {
                    ServerCall<ReqT, RespT> counted = call;
                    Runnable release = null;
                    // The limit is per key: keyless bootstrap calls (loopback, before any key) are not counted.
                    if (key.isPresent() && method.getType() != MethodDescriptor.MethodType.UNARY) {
                        release = openStream(key.get().id());
                        if (release == null) {
                            refuse(call, listener, new ResourceExhaustedException("TOO_MANY_STREAMS",
                                    "this API key has " + maxStreamsPerKey
                                            + " streams open already (the limit); close one or retry later"));
                            return;
                        }
                        counted = new ReleasingCall<>(call, release);
                    }
                    OpenCalls.RevocableCall<ReqT, RespT> revocable = key.isPresent() ? new OpenCalls.RevocableCall<>(counted)
                            : null;
                    if (revocable != null) {
                        counted = revocable;
                    }
                    Context withKey = key.map(k -> context.withValue(API_KEY, k)).orElse(context)
                            .withValue(Callers.ACTOR, Callers.actor(key.orElse(null), local));
                    ServerCall.Listener<ReqT> real = Contexts.interceptCall(withKey, counted, headers, next);
                    if (key.isPresent() && !key.get().pipelines().isEmpty()) {
                        real = new PipelineCheck<>(real, counted, key.get(), allowList);
                    }
                    if (release != null) {
                        real = new ReleasingListener<>(real, release);
                    }
                    if (revocable != null) {
                        real = openCalls.track(key.get().id(), revocable, real);
                    }
                    listener.start(real);
                }, error -> refuse(call, listener, error));
        return listener;
    }

    private static int count(Iterable<String> values) {
        int count = 0;
        for (String ignored : values == null ? java.util.List.<String>of() : values) {
            count++;
        }
        return count;
    }

    private static void checkScope(ApiKey key, Scope scope) {
        if (!key.scopes().contains(scope)) {
            throw new PermissionDeniedException("MISSING_SCOPE", scope.name().toLowerCase(Locale.ROOT),
                    "API key " + key.id() + " lacks the scope '" + scope.name().toLowerCase(Locale.ROOT) + "' that this call needs");
        }
    }

    private <ReqT, RespT> void refuse(ServerCall<ReqT, RespT> call, DeferredListener<ReqT> listener, Throwable error) {
        StatusRuntimeException status = ErrorMapper.toStatus(error);
        // Debug only: a flood of bad keys must not flood the log. The message names a key id, never a secret.
        log.debug("Refused {}: {} {}", call.getMethodDescriptor().getFullMethodName(), status.getStatus().getCode(),
                status.getStatus().getDescription());
        CloseOnceCall.close(call, status);
        listener.start(new ServerCall.Listener<>() {
        });
    }

    /** Counts a stream against its key; returns how to give it back, or null when the key is at its limit. */
    private Runnable openStream(String owner) {
        AtomicInteger count = openStreams.computeIfAbsent(owner, k -> new AtomicInteger());
        if (count.incrementAndGet() > maxStreamsPerKey) {
            count.decrementAndGet();
            return null;
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                count.decrementAndGet();
            }
        };
    }

    /** Gives a stream back when the server closes it. */
    private static final class ReleasingCall<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {

        private final Runnable release;

        ReleasingCall(ServerCall<ReqT, RespT> call, Runnable release) {
            super(call);
            this.release = release;
        }

        @Override
        public void close(io.grpc.Status status, Metadata trailers) {
            release.run();
            super.close(status, trailers);
        }
    }

    /** Gives a stream back when the client cancels it or it completes. */
    private static final class ReleasingListener<ReqT> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {

        private final Runnable release;

        ReleasingListener(ServerCall.Listener<ReqT> delegate, Runnable release) {
            super(delegate);
            this.release = release;
        }

        @Override
        public void onCancel() {
            release.run();
            super.onCancel();
        }

        @Override
        public void onComplete() {
            release.run();
            super.onComplete();
        }
    }

    /** Calls from loopback, or over a transport without IP addresses (in-process), are local. */
    static boolean isLocal(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet) {
            return inet.getAddress() != null && inet.getAddress().isLoopbackAddress();
        }
        return remote != null;
    }

    /**
     * Holds the request until the allow-list has checked it (which may read the pipelines of the
     * executions it names), then passes it on (perhaps narrowed) with the events that arrived
     * meanwhile, or closes the call with PIPELINE_NOT_ALLOWED. Runplane's requests are single
     * messages (unary and server-streaming methods): the first message is the one checked.
     */
    private static final class PipelineCheck<ReqT> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {

        private final ServerCall.Listener<ReqT> real;
        private final DeferredListener<ReqT> held;
        private final ServerCall<ReqT, ?> call;
        private final ApiKey key;
        private final PipelineAllowList allowList;
        private boolean checking;

        PipelineCheck(ServerCall.Listener<ReqT> real, ServerCall<ReqT, ?> call, ApiKey key, PipelineAllowList allowList) {
            this(real, new DeferredListener<>(), call, key, allowList);
        }

        private PipelineCheck(ServerCall.Listener<ReqT> real, DeferredListener<ReqT> held, ServerCall<ReqT, ?> call,
                              ApiKey key, PipelineAllowList allowList) {
            super(held);
            this.real = real;
            this.held = held;
            this.call = call;
            this.key = key;
            this.allowList = allowList;
        }

        @Override
        public void onMessage(ReqT message) {
            if (checking) {
                super.onMessage(message);
                return;
            }
            checking = true;
            String method = call.getMethodDescriptor().getFullMethodName();
            allowList.check(key, method, message).subscribe(allowed -> {
                @SuppressWarnings("unchecked") ReqT request = (ReqT) allowed;
                real.onMessage(request);
                held.start(real);
            }, error -> {
                CloseOnceCall.close(call, ErrorMapper.toStatus(error));
                held.start(new ServerCall.Listener<>() {
                });
            });
        }
    }
}
