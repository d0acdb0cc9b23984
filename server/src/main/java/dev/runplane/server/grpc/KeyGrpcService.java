package dev.runplane.server.grpc;

import dev.runplane.server.core.auth.ApiKeyTokens;
import dev.runplane.server.core.auth.Authenticator;
import dev.runplane.server.core.auth.KeyStore;
import dev.runplane.server.core.auth.NewApiKey;
import dev.runplane.server.grpc.auth.Callers;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.CreateKeyResponse;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.ListKeysRequest;
import dev.runplane.v1.ListKeysResponse;
import dev.runplane.v1.RevokeKeyRequest;
import dev.runplane.v1.RevokeKeyResponse;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/** KeyService over gRPC (admin scope, see {@link dev.runplane.server.grpc.auth.MethodScopes}): create, list, revoke API keys. */
public final class KeyGrpcService extends KeyServiceGrpc.KeyServiceImplBase {

    private static final Logger log = LoggerFactory.getLogger(KeyGrpcService.class);

    private final KeyStore store;
    private final Authenticator authenticator;
    private final KeyRequestValidator validator;

    public KeyGrpcService(KeyStore store, Authenticator authenticator, Clock clock) {
        this.store = store;
        this.authenticator = authenticator;
        this.validator = new KeyRequestValidator(clock);
    }

    @Override
    public void createKey(CreateKeyRequest request, StreamObserver<CreateKeyResponse> observer) {
        String creator = Callers.current(); // as the history names callers
        GrpcReactor.unary(Mono.fromCallable(() -> validator.create(request)).flatMap(key -> {
            ApiKeyTokens.Token token = ApiKeyTokens.generate();
            NewApiKey stored = new NewApiKey(token.id(), ApiKeyTokens.sha256(token.secret()), key.scopes(),
                    key.pipelines(), key.description(), key.expireTime());
            return store.create(stored).map(created -> {
                authenticator.invalidate(created.id());
                log.info("API key {} created by {} with scopes {} and pipelines {}", created.id(), creator,
                        created.scopes(), created.pipelines());
                return CreateKeyResponse.newBuilder().setKey(ProtoMapper.toProto(created)).setToken(token.text())
                        .build();
            });
        }), observer);
    }

    @Override
    public void listKeys(ListKeysRequest request, StreamObserver<ListKeysResponse> observer) {
        GrpcReactor.unary(store.list(request.getIncludeRevoked()).map(ProtoMapper::toProto).collectList()
                .map(keys -> ListKeysResponse.newBuilder().addAllKeys(keys).build()), observer);
    }

    @Override
    public void revokeKey(RevokeKeyRequest request, StreamObserver<RevokeKeyResponse> observer) {
        String creator = Callers.current(); // as the history names callers
        GrpcReactor.unary(Mono.fromCallable(() -> validator.revoke(request)).flatMap(store::revoke).map(key -> {
            authenticator.invalidate(key.id());
            log.info("API key {} revoked by {}", key.id(), creator);
            return RevokeKeyResponse.newBuilder().setKey(ProtoMapper.toProto(key)).build();
        }), observer);
    }
}
