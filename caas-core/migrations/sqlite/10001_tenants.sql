-- Tenants are a platform table: the registry every tenant is resolved from.
-- Times are unix milliseconds; settings are JSON text.
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
    settings   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
