-- Published E2E device keys (public keys only).
CREATE TABLE e2e_devices (
    tenant_id               TEXT NOT NULL REFERENCES tenants (id),
    user_id                 TEXT NOT NULL,
    device_id               TEXT NOT NULL,
    identity_key            BLOB NOT NULL,
    signed_prekey_id        BIGINT NOT NULL,
    signed_prekey           BLOB NOT NULL,
    signed_prekey_signature BLOB NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, device_id)
);

-- One-time prekeys, each handed out at most once (claimed by deleting it).
CREATE TABLE e2e_one_time_prekeys (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    prekey_id  BIGINT NOT NULL,
    public_key BLOB NOT NULL,
    PRIMARY KEY (tenant_id, user_id, device_id, prekey_id)
);
