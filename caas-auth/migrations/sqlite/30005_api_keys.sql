-- API keys: `caas_<prefix>_<secret>`; the prefix finds the key, the secret
-- is stored as a SHA-256 hash only.
CREATE TABLE auth_api_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    id           TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    name         TEXT NOT NULL,
    owner_id     TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX auth_api_keys_prefix ON auth_api_keys (tenant_id, prefix);
