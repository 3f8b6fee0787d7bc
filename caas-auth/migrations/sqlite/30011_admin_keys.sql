-- The platform admin key, stored as a SHA-256 hash (the key itself is
-- printed once when generated and never stored). Databases migrated before
-- this table moved to caas-auth have it from the retired 90001 step.
CREATE TABLE IF NOT EXISTS caas_admin_keys (
    id         TEXT PRIMARY KEY NOT NULL,
    key_hash   BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
