-- Published Cedar policy sets per tenant, with the schema they were
-- validated against; the highest version is in force. A rollback publishes
-- an earlier version's content as a new version, so history only grows.
CREATE TABLE authz_policy_versions (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    version    BIGINT NOT NULL,
    policies   TEXT NOT NULL,
    schema     TEXT NOT NULL,
    policy_count BIGINT NOT NULL,
    note       TEXT,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
