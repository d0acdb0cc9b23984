package dev.runplane.server.grpc.auth;

import dev.runplane.server.core.auth.Authenticator;
import dev.runplane.server.core.error.AuthenticationException;
import dev.runplane.server.grpc.CloseOnceCall;
import dev.runplane.server.grpc.ErrorMapper;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ServerCall;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The calls in progress, by API key, so that a key which stops being usable (revoked through any
 * replica, expired, deleted) ends them too, not only new calls: a watch stream or a long poll would
 * otherwise go on for as long as its client likes. Every {@link #SWEEP} the keys of open calls are
 * checked through the {@link Authenticator}'s cache (a database read per key at most once per cache
 * expiry, as for new calls), and the calls of a key that fails end with its UNAUTHENTICATED error.
 * So an open call ends within the cache's expiry plus one sweep of the revocation, on every replica.
 * The sweep runs only while calls are open. A database outage ends nothing: that is not a refusal.
 */
final class OpenCalls {

    private static final Logger log = LoggerFactory.getLogger(OpenCalls.class);
    static final Duration SWEEP = Duration.ofMillis(250);
    /** A lookup that hangs (a hung database) must not stop later sweeps. */
    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(5);

    private final Authenticator authenticator;
    private final Map<String, Set<RevocableCall<?, ?>>> byKey = new ConcurrentHashMap<>();
    private Disposable sweeper;
    private boolean sweeping;

    OpenCalls(Authenticator authenticator) {
        this.authenticator = authenticator;
    }

    /** Tracks the call under its key until it ends; returns the listener that ends the tracking. */
    <ReqT, RespT> ServerCall.Listener<ReqT> track(String keyId, RevocableCall<ReqT, RespT> call,
                                                  ServerCall.Listener<ReqT> listener) {
        byKey.compute(keyId, (id, calls) -> {
            Set<RevocableCall<?, ?>> set = calls != null ? calls : ConcurrentHashMap.newKeySet();
            set.add(call);
            return set;
        });
        startSweeping();
        return new UntrackingListener<>(listener, call, () -> byKey.computeIfPresent(keyId, (id, calls) -> {
            calls.remove(call);
            return calls.isEmpty() ? null : calls;
        }));
    }

    private synchronized void startSweeping() {
        if (sweeper == null) {
            sweeper = Schedulers.parallel().schedulePeriodically(this::sweep, SWEEP.toMillis(), SWEEP.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    private void sweep() {
        synchronized (this) {
            if (byKey.isEmpty()) { // nothing open: stop until a call is tracked again
                sweeper.dispose();
                sweeper = null;
                return;
            }
            if (sweeping) {
                return; // the previous sweep is still waiting for the database
            }
            sweeping = true;
        }
        Flux.fromIterable(List.copyOf(byKey.keySet()))
                .flatMap(id -> authenticator.stillValid(id).timeout(LOOKUP_TIMEOUT).then()
                        .onErrorResume(error -> {
                            if (error instanceof AuthenticationException) {
                                end(id, ErrorMapper.toStatus(error));
                            }
                            return Mono.empty(); // an outage or a timeout ends nothing
                        }), 8)
                .doFinally(signal -> {
                    synchronized (this) {
                        sweeping = false;
                    }
                })
                .subscribe(null, error -> log.warn("Could not re-check the keys of open calls: {}", error.toString()));
    }

    private void end(String keyId, StatusRuntimeException status) {
        Set<RevocableCall<?, ?>> calls = byKey.get(keyId);
        if (calls == null) {
            return;
        }
        log.debug("Ending {} open call(s) of API key {}: {}", calls.size(), keyId, status.getStatus().getDescription());
        for (RevocableCall<?, ?> call : List.copyOf(calls)) {
            call.revoke(status);
        }
    }

    /**
     * A call that the sweep can end from outside while the service may still be answering on
     * another thread ({@link CloseOnceCall}); it remembers that the sweep ended it.
     */
    static final class RevocableCall<ReqT, RespT> extends CloseOnceCall<ReqT, RespT> {

        private volatile boolean revoked;

        RevocableCall(ServerCall<ReqT, RespT> call) {
            super(call);
        }

        /** Ends the call with this error, unless it has ended already. */
        synchronized void revoke(StatusRuntimeException status) {
            revoked = true; // before the close: the transport's completion that follows reads it
            revoked = closeWith(status);
        }

        boolean revoked() {
            return revoked;
        }
    }

    /**
     * Stops tracking when the call ends. A call that the sweep closed never answered, so the
     * transport's completion reaches the service as a cancel: it lets go of what it holds (a
     * watcher of the event hub, a waiting poll).
     */
    private static final class UntrackingListener<ReqT>
            extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {

        private final RevocableCall<ReqT, ?> call;
        private final Runnable untrack;

        UntrackingListener(ServerCall.Listener<ReqT> delegate, RevocableCall<ReqT, ?> call, Runnable untrack) {
            super(delegate);
            this.call = call;
            this.untrack = untrack;
        }

        @Override
        public void onCancel() {
            untrack.run();
            super.onCancel();
        }

        @Override
        public void onComplete() {
            untrack.run();
            if (call.revoked()) {
                super.onCancel();
            } else {
                super.onComplete();
            }
        }
    }
}
