package dev.runplane.server.core.auth;

import dev.runplane.server.core.error.AuthenticationException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Checks bearer tokens against the stored keys without a database round trip per call: a looked-up
 * key (or its absence) is cached for {@code cacheTtl}. That expiry is how a revocation reaches every
 * replica: each one reads the key again at most {@code cacheTtl} later (2 s by default, within the
 * promised 5 s), with no notification to lose; calls already open re-check their key through the
 * same cache ({@link #stillValid}). The last-use time is written at most once a minute
 * per key and replica, in the background.
 */
public final class Authenticator {

    private static final Logger log = LoggerFactory.getLogger(Authenticator.class);
    public static final Duration DEFAULT_CACHE_TTL = Duration.ofSeconds(2);
    private static final long TOUCH_INTERVAL_NANOS = Duration.ofMinutes(1).toNanos();
    /** Unknown ids are cached too; a flood of random ids must not grow memory without bound. */
    private static final int MAX_CACHED = 10_000;

    private final KeyStore store;
    private final Duration cacheTtl;
    private final Clock clock;
    private final ConcurrentMap<String, Cached<Optional<ApiKey>>> keys = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Long> lastTouch = new ConcurrentHashMap<>();
    private volatile Cached<Boolean> anyKey;
    private volatile boolean keysExist;

    public Authenticator(KeyStore store, Duration cacheTtl, Clock clock) {
        this.store = store;
        this.cacheTtl = cacheTtl;
        this.clock = clock;
    }

    private record Cached<T>(Mono<T> value, long loadedNanos) {
    }

    /** The key that this Authorization header proves, or an {@link AuthenticationException}. */
    public Mono<ApiKey> verify(String authorization) {
        if (authorization == null) {
            return Mono.error(new AuthenticationException("API_KEY_MISSING",
                    "this call needs an API key: send the metadata 'authorization: Bearer rpk_<id>_<secret>'"));
        }
        ApiKeyTokens.Token token = ApiKeyTokens.parseAuthorization(authorization);
        if (token == null) {
            return Mono.error(new AuthenticationException("API_KEY_MALFORMED",
                    "the authorization metadata must be 'Bearer rpk_<id>_<secret>'"));
        }
        return lookup(token.id()).map(found -> {
            ApiKey key = found.orElseThrow(() -> new AuthenticationException("API_KEY_UNKNOWN",
                    "unknown API key " + token.id()));
            if (!ApiKeyTokens.matches(token.secret(), key.secretSha256())) {
                throw new AuthenticationException("API_KEY_UNKNOWN", "unknown API key " + token.id());
            }
            requireUsable(key);
            touch(key.id());
            return key;
        });
    }

    /**
     * The key with this id if it is still usable (there, not revoked, not expired), or an
     * {@link AuthenticationException}: how calls opened with a key learn that it no longer is. It
     * reads through the same cache as {@link #verify}, so an open call learns of a revocation
     * within the same bound as a new call. The secret was checked when the call began.
     */
    public Mono<ApiKey> stillValid(String id) {
        return lookup(id).map(found -> {
            ApiKey key = found.orElseThrow(() -> new AuthenticationException("API_KEY_UNKNOWN", "unknown API key " + id));
            requireUsable(key);
            return key;
        });
    }

    private void requireUsable(ApiKey key) {
        if (key.revoked()) {
            throw new AuthenticationException("API_KEY_REVOKED", "API key " + key.id() + " was revoked");
        }
        if (key.expiredAt(clock.instant())) {
            throw new AuthenticationException("API_KEY_EXPIRED", "API key " + key.id() + " has expired");
        }
    }

    /** Whether any key was ever created (then the loopback bootstrap is over, for good). */
    public Mono<Boolean> keysExist() {
        if (keysExist) {
            return Mono.just(true);
        }
        Cached<Boolean> cached = anyKey;
        if (cached == null || expired(cached)) {
            cached = new Cached<>(store.anyExists().cache(v -> cacheTtl, e -> Duration.ZERO, () -> Duration.ZERO),
                    System.nanoTime());
            anyKey = cached;
        }
        return cached.value().map(exists -> {
            if (exists) {
                keysExist = true;
            }
            return exists;
        });
    }

    /** Forgets what this replica cached (after it created or revoked a key itself). */
    public void invalidate(String id) {
        keys.remove(id);
        anyKey = null;
    }

    private Mono<Optional<ApiKey>> lookup(String id) {
        Cached<Optional<ApiKey>> cached = keys.get(id);
        if (cached == null || expired(cached)) {
            if (keys.size() >= MAX_CACHED) {
                keys.clear();
            }
            Cached<Optional<ApiKey>> fresh = new Cached<>(store.find(id).map(Optional::of).defaultIfEmpty(Optional.empty())
                    .cache(v -> cacheTtl, e -> Duration.ZERO, () -> Duration.ZERO), System.nanoTime());
            cached = keys.compute(id, (k, old) -> old == null || expired(old) ? fresh : old);
        }
        return cached.value();
    }

    private boolean expired(Cached<?> cached) {
        return System.nanoTime() - cached.loadedNanos() > cacheTtl.toNanos();
    }

    private void touch(String id) {
        long now = System.nanoTime();
        Long previous = lastTouch.get(id);
        if (previous != null && now - previous < TOUCH_INTERVAL_NANOS) {
            return;
        }
        if (previous == null ? lastTouch.putIfAbsent(id, now) != null : !lastTouch.replace(id, previous, now)) {
            return; // another call is writing it
        }
        store.touch(id).subscribe(null, error -> log.warn("Could not record the use of API key {}: {}", id,
                error.getMessage()));
    }
}
