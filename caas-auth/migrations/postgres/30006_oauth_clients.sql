-- OAuth 2.0 clients per tenant; confidential clients' secrets as SHA-256.
CREATE TABLE auth_oauth_clients (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT NOT NULL,
    secret_hash TEXT,
    settings    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

SELECT caas_enable_tenant_rls('auth_oauth_clients');
