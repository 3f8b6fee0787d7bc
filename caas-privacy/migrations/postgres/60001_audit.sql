-- The audit log of each tenant: an RFC 6962 Merkle tree.
--
-- The head: size, root, and the tenant's Ed25519 checkpoint key (its seed
-- sealed by the tenant's data key for purpose `audit.checkpoint`).
CREATE TABLE audit_heads (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants (id),
    size        BIGINT NOT NULL,
    root        BYTEA NOT NULL,
    signing_key BYTEA NOT NULL,
    public_key  BYTEA NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Entries by index: the leaf bytes the tree hashes (canonical JSON, the
-- personal part sealed under the subject's key). `subject` only finds a
-- subject's entries; it is not hashed and is cleared on erasure.
CREATE TABLE audit_entries (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    idx       BIGINT NOT NULL,
    entry     BYTEA NOT NULL,
    subject   TEXT,
    action    TEXT NOT NULL,
    at        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, idx)
);
CREATE INDEX audit_entries_subject ON audit_entries (tenant_id, subject);

-- Every perfect subtree hash: pos = level * 2^48 + index.
CREATE TABLE audit_nodes (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    pos       BIGINT NOT NULL,
    hash      BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, pos)
);

-- Every checkpoint signed (the C2SP note).
CREATE TABLE audit_checkpoints (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    size       BIGINT NOT NULL,
    root       BYTEA NOT NULL,
    note       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, size)
);

SELECT caas_enable_tenant_rls('audit_heads');
SELECT caas_enable_tenant_rls('audit_entries');
SELECT caas_enable_tenant_rls('audit_nodes');
SELECT caas_enable_tenant_rls('audit_checkpoints');
