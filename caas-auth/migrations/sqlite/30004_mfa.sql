-- TOTP enrollment per user: the secret sealed under the user's subject key
-- (shredding the user destroys it), the last step accepted (replay guard).
CREATE TABLE auth_mfa_totp (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    user_id      TEXT NOT NULL,
    sealed       BLOB NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

-- Backup codes, stored as SHA-256 hashes, each usable once.
CREATE TABLE auth_backup_codes (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, code_hash)
);
