package dev.runplane.server.store;

/** The statements of the {@code api_keys} table (V5): a key is found by its id, never by its secret. */
final class ApiKeysSql {

    static final String COLUMNS =
            "id, secret_sha256, scopes, pipelines, description, create_time, expire_time, revoke_time, last_use_time";

    /** $1 id, $2 the secret's SHA-256, $3 scopes, $4 pipelines (text arrays), $5 description, $6 expiry. */
    static final String INSERT = "INSERT INTO api_keys (id, secret_sha256, scopes, pipelines, description,"
            + " expire_time) VALUES ($1, $2, $3, $4, $5, $6) RETURNING " + COLUMNS;

    static final String FIND = "SELECT " + COLUMNS + " FROM api_keys WHERE id = $1";

    static final String LIST_ALL = "SELECT " + COLUMNS + " FROM api_keys ORDER BY create_time DESC, id";

    static final String LIST_ACTIVE = "SELECT " + COLUMNS + " FROM api_keys WHERE revoke_time IS NULL"
            + " ORDER BY create_time DESC, id";

    /** Revoking a revoked key keeps the first revoke time. */
    static final String REVOKE = "UPDATE api_keys SET revoke_time = coalesce(revoke_time, now()) WHERE id = $1"
            + " RETURNING " + COLUMNS;

    static final String TOUCH = "UPDATE api_keys SET last_use_time = now() WHERE id = $1";

    static final String ANY_EXISTS = "SELECT EXISTS (SELECT 1 FROM api_keys) AS any";

    private ApiKeysSql() {
    }
}
