-- Users per tenant. `email_key` and `username_key` are the case-folded forms
-- that make both unique per tenant, case-insensitively.
CREATE TABLE auth_users (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    id            TEXT NOT NULL,
    email         TEXT,
    email_key     TEXT,
    username      TEXT,
    username_key  TEXT,
    display_name  TEXT NOT NULL,
    status        TEXT NOT NULL,
    attributes    TEXT NOT NULL,
    password_hash TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX auth_users_email ON auth_users (tenant_id, email_key);
CREATE UNIQUE INDEX auth_users_username ON auth_users (tenant_id, username_key);
