-- Key-encryption keys per tenant, wrapped by the platform master key.
CREATE TABLE crypto_tenant_keys (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    version    BIGINT NOT NULL,
    wrapped    BLOB NOT NULL,
    active     BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

-- Data keys per (tenant, purpose, version), wrapped by a tenant key.
CREATE TABLE crypto_data_keys (
    tenant_id          TEXT NOT NULL REFERENCES tenants (id),
    purpose            TEXT NOT NULL,
    version            BIGINT NOT NULL,
    tenant_key_version BIGINT NOT NULL,
    wrapped            BLOB NOT NULL,
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, purpose, version)
);

-- One key per data subject (crypto-shredding), wrapped by a tenant key.
CREATE TABLE crypto_subject_keys (
    tenant_id          TEXT NOT NULL REFERENCES tenants (id),
    key_id             TEXT NOT NULL,
    subject            TEXT NOT NULL,
    tenant_key_version BIGINT NOT NULL,
    wrapped            BLOB NOT NULL,
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, key_id)
);
CREATE UNIQUE INDEX crypto_subject_keys_subject ON crypto_subject_keys (tenant_id, subject);

-- What was shredded, and when; never key material.
CREATE TABLE crypto_shredded_keys (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    key_id      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    shredded_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, key_id)
);

-- Every rotation of a tenant key.
CREATE TABLE crypto_key_rotations (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    to_version   BIGINT NOT NULL,
    from_version BIGINT NOT NULL,
    rewrapped    BIGINT NOT NULL,
    rotated_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, to_version)
);
