-- API keys (issue 7). Only a SHA-256 hash of the secret is stored: the secret is 256 random bits,
-- so a fast hash is enough (no dictionary to attack), and it is shown to its owner once, at creation.
CREATE TABLE api_keys (
    id            text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9]{1,64}$'),
    secret_sha256 bytea       NOT NULL CHECK (length(secret_sha256) = 32),
    scopes        text[]      NOT NULL CHECK (scopes <@ ARRAY['READ', 'RUN', 'WORK', 'ADMIN'] AND cardinality(scopes) > 0),
    pipelines     text[]      NOT NULL DEFAULT '{}',
    description   text        NOT NULL DEFAULT '',
    create_time   timestamptz NOT NULL DEFAULT now(),
    expire_time   timestamptz,
    revoke_time   timestamptz,
    last_use_time timestamptz
);
