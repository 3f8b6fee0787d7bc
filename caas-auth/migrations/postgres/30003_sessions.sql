-- Login sessions: the durable record (the key-value store holds the hot
-- copy with the idle timeout as its TTL).
CREATE TABLE auth_sessions (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    id           TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    user_agent   TEXT NOT NULL,
    client_hints TEXT NOT NULL,
    ip_prefix    TEXT NOT NULL,
    metadata     TEXT NOT NULL,
    amr          TEXT NOT NULL,
    auth_time    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    idle_until   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ended_at     BIGINT,
    ended_reason TEXT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX auth_sessions_user ON auth_sessions (tenant_id, user_id);

-- Refresh-token families (one per login) and their tokens, stored as
-- SHA-256 hashes only. A token is used once; presenting a used one again
-- revokes the family.
CREATE TABLE auth_refresh_families (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    id             TEXT NOT NULL,
    session_id     TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_reason TEXT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX auth_refresh_families_session ON auth_refresh_families (tenant_id, session_id);

CREATE TABLE auth_refresh_tokens (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    token_hash TEXT NOT NULL,
    family_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (tenant_id, token_hash)
);
CREATE INDEX auth_refresh_tokens_family ON auth_refresh_tokens (tenant_id, family_id);

SELECT caas_enable_tenant_rls('auth_sessions');
SELECT caas_enable_tenant_rls('auth_refresh_families');
SELECT caas_enable_tenant_rls('auth_refresh_tokens');
