package dev.runplane.server.grpc;

import dev.runplane.server.core.auth.NewApiKey;
import dev.runplane.server.core.auth.Scope;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.RevokeKeyRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks KeyService requests; every bad field is named. */
final class KeyRequestValidator {

    static final Duration MAX_LIFETIME = Duration.ofDays(3660);
    static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9]{1,64}");
    static final int MAX_PIPELINES = 64;

    private final Clock clock;

    KeyRequestValidator(Clock clock) {
        this.clock = clock;
    }

    /** The key to create, without its id and secret (the service generates them). */
    NewApiKey create(CreateKeyRequest request) {
        RequestChecks checks = new RequestChecks();
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        if (request.getScopesCount() == 0) {
            checks.fail("scopes", "at least one scope is required (read, run, work, admin)");
        }
        for (int i = 0; i < request.getScopesCount(); i++) {
            Scope scope = ProtoMapper.fromProto(request.getScopes(i));
            if (scope == null) {
                checks.fail("scopes[" + i + "]", "must be READ, RUN, WORK or ADMIN");
            } else {
                scopes.add(scope);
            }
        }
        if (request.getPipelinesCount() > MAX_PIPELINES) {
            checks.fail("pipelines", "at most " + MAX_PIPELINES + " pipelines");
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

    /** The id of the key to revoke. */
    String revoke(RevokeKeyRequest request) {
        RequestChecks checks = new RequestChecks();
        if (!KEY_ID.matcher(request.getId()).matches()) {
            checks.fail("id", "must be a key id: 1 to 64 characters of [A-Za-z0-9]");
        }
        checks.throwIfInvalid();
        return request.getId();
    }
}
