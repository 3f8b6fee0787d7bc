-- Upstream identity providers per tenant; the client secret sealed with a
-- data key of the tenant (purpose `auth.federation`).
CREATE TABLE auth_identity_providers (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    id            TEXT NOT NULL,
    settings      TEXT NOT NULL,
    sealed_secret BLOB,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Which upstream account is which user.
CREATE TABLE auth_federated_links (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    provider_id   TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    email         TEXT,
    created_at    BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, provider_id, subject)
);
CREATE INDEX auth_federated_links_user ON auth_federated_links (tenant_id, user_id);
