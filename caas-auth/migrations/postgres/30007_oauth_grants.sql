-- A refresh-token family issued to an OAuth client records the client and
-- the grant (scopes, audience, nonce-free ID-token data) it carries.
ALTER TABLE auth_refresh_families ADD COLUMN client_id TEXT;
ALTER TABLE auth_refresh_families ADD COLUMN grant_data TEXT;

-- Consent a user gave a third-party client, remembered per user, client
-- and scope set (space-separated, sorted).
CREATE TABLE auth_oauth_consents (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, client_id)
);

SELECT caas_enable_tenant_rls('auth_oauth_consents');
