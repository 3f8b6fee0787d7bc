-- Token-signing keys per tenant. The private key is sealed with the
-- tenant's data key (purpose `auth.signing-keys`); the public JWK is stored
-- in the clear (NULL for HS256 secrets, which are never published).
CREATE TABLE auth_signing_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    kid          TEXT NOT NULL,
    algorithm    TEXT NOT NULL,
    public_jwk   TEXT,
    sealed       BYTEA NOT NULL,
    active       BOOLEAN NOT NULL,
    created_at   BIGINT NOT NULL,
    retired_at   BIGINT,
    verify_until BIGINT,
    PRIMARY KEY (tenant_id, kid)
);
-- One signing key per tenant at a time.
CREATE UNIQUE INDEX auth_signing_keys_active ON auth_signing_keys (tenant_id) WHERE active;

SELECT caas_enable_tenant_rls('auth_signing_keys');
