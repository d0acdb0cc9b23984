package dev.runplane.server.core.auth;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/** A key to store: its id, the hash of its secret, and what it may do. */
public record NewApiKey(String id, byte[] secretSha256, Set<Scope> scopes, List<String> pipelines, String description,
                        Instant expireTime) {
}
