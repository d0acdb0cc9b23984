package dev.runplane.server.api;

import dev.runplane.server.core.ApiKey;
import dev.runplane.server.core.ApiKeyTokens;
import dev.runplane.server.core.Authenticator;
import dev.runplane.server.core.KeyStore;
import dev.runplane.server.core.NewApiKey;
import dev.runplane.server.core.Scope;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.CreateKeyResponse;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.ListKeysRequest;
import dev.runplane.v1.ListKeysResponse;
import dev.runplane.v1.RevokeKeyRequest;
import dev.runplane.v1.RevokeKeyResponse;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/** KeyService over gRPC (admin scope, see {@link MethodScopes}): create, list, revoke API keys. */
public final class KeyGrpcService extends KeyServiceGrpc.KeyServiceImplBase {

    private static final Logger log = LoggerFactory.getLogger(KeyGrpcService.class);
    private static final Duration MAX_LIFETIME = Duration.ofDays(3660);
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9]{1,64}");

    private final KeyStore store;
    private final Authenticator authenticator;
    private final Clock clock;

    public KeyGrpcService(KeyStore store, Authenticator authenticator, Clock clock) {
        this.store = store;
        this.authenticator = authenticator;
        this.clock = clock;
    }

    @Override
    public void createKey(CreateKeyRequest request, StreamObserver<CreateKeyResponse> observer) {
        String creator = creator();
        GrpcReactor.unary(Mono.fromCallable(() -> validate(request)).flatMap(key -> {
            ApiKeyTokens.Token token = ApiKeyTokens.generate();
            NewApiKey stored = new NewApiKey(token.id(), ApiKeyTokens.sha256(token.secret()), key.scopes(),
                    key.pipelines(), key.description(), key.expireTime());
            return store.create(stored).map(created -> {
                authenticator.invalidate(created.id());
                log.info("API key {} created by {} with scopes {} and pipelines {}", created.id(), creator,
                        created.scopes(), created.pipelines());
                return CreateKeyResponse.newBuilder().setKey(toProto(created)).setToken(token.text()).build();
            });
        }), observer);
    }

    @Override
    public void listKeys(ListKeysRequest request, StreamObserver<ListKeysResponse> observer) {
        GrpcReactor.unary(store.list(request.getIncludeRevoked()).map(KeyGrpcService::toProto).collectList()
                .map(keys -> ListKeysResponse.newBuilder().addAllKeys(keys).build()), observer);
    }

    @Override
    public void revokeKey(RevokeKeyRequest request, StreamObserver<RevokeKeyResponse> observer) {
        String creator = creator();
        GrpcReactor.unary(Mono.fromCallable(() -> {
            RequestChecks checks = new RequestChecks();
            if (!KEY_ID.matcher(request.getId()).matches()) {
                checks.fail("id", "must be a key id: 1 to 64 characters of [A-Za-z0-9]");
            }
            checks.throwIfInvalid();
            return request.getId();
        }).flatMap(store::revoke).map(key -> {
            authenticator.invalidate(key.id());
            log.info("API key {} revoked by {}", key.id(), creator);
            return RevokeKeyResponse.newBuilder().setKey(toProto(key)).build();
        }), observer);
    }

    /** Who is calling, for the log: a key id, or the loopback bootstrap. */
    private static String creator() {
        ApiKey caller = AuthInterceptor.API_KEY.get();
        return caller == null ? "the loopback bootstrap" : "key " + caller.id();
    }

    private NewApiKey validate(CreateKeyRequest request) {
        RequestChecks checks = new RequestChecks();
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        if (request.getScopesCount() == 0) {
            checks.fail("scopes", "at least one scope is required (read, run, work, admin)");
        }
        for (int i = 0; i < request.getScopesCount(); i++) {
            Scope scope = fromProto(request.getScopes(i));
            if (scope == null) {
                checks.fail("scopes[" + i + "]", "must be READ, RUN, WORK or ADMIN");
            } else {
                scopes.add(scope);
            }
        }
        if (request.getPipelinesCount() > 64) {
            checks.fail("pipelines", "at most 64 pipelines");
        }
        Set<String> pipelines = new LinkedHashSet<>();
        for (int i = 0; i < request.getPipelinesCount(); i++) {
            pipelines.add(checks.pipeline("pipelines[" + i + "]", request.getPipelines(i)));
        }
        checks.text("description", request.getDescription(), 1024);
        Duration lifetime = checks.positiveDuration("expires_in", request.hasExpiresIn(), request.getExpiresIn(),
                MAX_LIFETIME);
        checks.throwIfInvalid();
        Instant expireTime = lifetime == null ? null : clock.instant().plus(lifetime);
        return new NewApiKey("", new byte[0], Set.copyOf(scopes), List.copyOf(pipelines), request.getDescription(),
                expireTime);
    }

    static Scope fromProto(KeyScope scope) {
        return switch (scope) {
            case KEY_SCOPE_READ -> Scope.READ;
            case KEY_SCOPE_RUN -> Scope.RUN;
            case KEY_SCOPE_WORK -> Scope.WORK;
            case KEY_SCOPE_ADMIN -> Scope.ADMIN;
            default -> null;
        };
    }

    static KeyScope toProto(Scope scope) {
        return switch (scope) {
            case READ -> KeyScope.KEY_SCOPE_READ;
            case RUN -> KeyScope.KEY_SCOPE_RUN;
            case WORK -> KeyScope.KEY_SCOPE_WORK;
            case ADMIN -> KeyScope.KEY_SCOPE_ADMIN;
        };
    }

    static dev.runplane.v1.ApiKey toProto(ApiKey key) {
        dev.runplane.v1.ApiKey.Builder proto = dev.runplane.v1.ApiKey.newBuilder()
                .setId(key.id())
                .addAllPipelines(key.pipelines())
                .setDescription(key.description());
        key.scopes().stream().sorted().map(KeyGrpcService::toProto).forEach(proto::addScopes);
        if (key.createTime() != null) {
            proto.setCreateTime(timestamp(key.createTime()));
        }
        if (key.expireTime() != null) {
            proto.setExpireTime(timestamp(key.expireTime()));
        }
        if (key.revokeTime() != null) {
            proto.setRevokeTime(timestamp(key.revokeTime()));
        }
        if (key.lastUseTime() != null) {
            proto.setLastUseTime(timestamp(key.lastUseTime()));
        }
        return proto.build();
    }

    private static com.google.protobuf.Timestamp timestamp(Instant time) {
        return ProtoMapper.timestamp(time);
    }
}
