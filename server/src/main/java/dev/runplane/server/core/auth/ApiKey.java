package dev.runplane.server.core.auth;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * A stored API key: everything but the secret, of which only a SHA-256 hash is kept.
 *
 * @param pipelines empty: every pipeline; otherwise the only pipelines the key may use
 * @param expireTime null: never expires
 * @param revokeTime null: not revoked
 */
public record ApiKey(String id, byte[] secretSha256, Set<Scope> scopes, List<String> pipelines, String description,
                     Instant createTime, Instant expireTime, Instant revokeTime, Instant lastUseTime) {

    public boolean revoked() {
        return revokeTime != null;
    }

    public boolean expiredAt(Instant now) {
        return expireTime != null && !now.isBefore(expireTime);
    }

    public boolean allowsPipeline(String pipeline) {
        return pipelines.isEmpty() || pipelines.contains(pipeline);
    }
}
