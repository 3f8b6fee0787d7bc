-- Opaque E2E ciphertexts waiting for a device; the server cannot read them.
CREATE TABLE e2e_messages (
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    id               TEXT NOT NULL,
    recipient_user   TEXT NOT NULL,
    recipient_device TEXT NOT NULL,
    sender_user      TEXT NOT NULL,
    sender_device    TEXT NOT NULL,
    ciphertext       BYTEA NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX e2e_messages_inbox ON e2e_messages (tenant_id, recipient_user, recipient_device, id);
CREATE INDEX e2e_messages_expiry ON e2e_messages (expires_at);

SELECT caas_enable_tenant_rls('e2e_messages');
