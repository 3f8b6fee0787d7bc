-- Revocations: the durable record behind the key-value cache, so a restart
-- (or a flushed Redis) forgets none. One row per revoked token (`jti`),
-- session (`sid`), user (`sub`) or the whole tenant (id ''); `value` is 1
-- for tokens and sessions and the "not before" watermark (unix seconds)
-- for users and the tenant. Rows are pruned once `expires_at` (unix ms)
-- has passed: no token issued before the revocation lives that long.
CREATE TABLE auth_revocations (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    value      BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
);
CREATE INDEX auth_revocations_expiry ON auth_revocations (tenant_id, expires_at);
