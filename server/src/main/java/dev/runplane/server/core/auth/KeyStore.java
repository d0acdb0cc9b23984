package dev.runplane.server.core.auth;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Where API keys live (a port: the store package implements it in PostgreSQL). */
public interface KeyStore {

    Mono<ApiKey> create(NewApiKey key);

    /** The key with this id, or empty. */
    Mono<ApiKey> find(String id);

    /** Newest first. */
    Flux<ApiKey> list(boolean includeRevoked);

    /** Sets the revoke time if it is not set yet; NotFoundException if there is no such key. */
    Mono<ApiKey> revoke(String id);

    /** Records a use (callers write at most once a minute per key). */
    Mono<Void> touch(String id);

    /** Whether any key was ever created: it ends the loopback bootstrap. */
    Mono<Boolean> anyExists();
}
