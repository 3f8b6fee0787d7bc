-- The application role. Pool connections `SET ROLE caas_app`; it owns no
-- table, is no superuser and cannot bypass row-level security. It is a
-- cluster-wide role: create it here unless an operator already has.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caas_app') THEN
        CREATE ROLE caas_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- created at the same moment by a migration of another database
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caas_app' AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'role caas_app must not be a superuser or bypass row-level security';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO caas_app', current_schema());
END
$$;

GRANT SELECT ON caas_migrations TO caas_app;

-- The tenant of the current transaction, as set by `Db::tenant_tx`;
-- NULL outside a tenant transaction, so tenant tables show no rows there.
CREATE FUNCTION caas_current_tenant() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('caas.tenant_id', true), '') $$;

-- The one-line convention for tenant-owned tables (they have a
-- `tenant_id TEXT NOT NULL` column):  SELECT caas_enable_tenant_rls('my_table');
CREATE FUNCTION caas_enable_tenant_rls(tbl regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format(
        'CREATE POLICY caas_tenant_isolation ON %s '
        'USING (tenant_id = caas_current_tenant()) '
        'WITH CHECK (tenant_id = caas_current_tenant())', tbl);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO caas_app', tbl);
END
$$;
REVOKE ALL ON FUNCTION caas_enable_tenant_rls(regclass) FROM PUBLIC;

-- Tenants are a platform table (no RLS): the registry every tenant is
-- resolved from before any tenant is known.
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
    settings   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants TO caas_app;
