-- The built-in entity store. An entity is a Cedar entity of the tenant
-- (a user, a group, a role assignment's holder, a resource) with its
-- attributes (Cedar JSON) and whether it inherits its parents' access
-- entries. `version` grows on every change to the entity, its parents or
-- its access entries: decisions are cached by it.
CREATE TABLE authz_entities (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    attrs       TEXT NOT NULL,
    inherit     BOOLEAN NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, entity_type, entity_id)
);

-- Parent links (group membership, role assignment, folder → document).
CREATE TABLE authz_entity_parents (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    parent_type TEXT NOT NULL,
    parent_id   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, entity_type, entity_id, parent_type, parent_id)
);
CREATE INDEX authz_entity_parents_parent
    ON authz_entity_parents (tenant_id, parent_type, parent_id);

-- Access entries on resources: a principal (user, group, service) of this
-- tenant, or of another tenant (`grantee_tenant`: a cross-tenant grant),
-- holds a role on the resource and, unless a descendant breaks
-- inheritance, on everything below it.
CREATE TABLE authz_access (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    id             TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    principal_id   TEXT NOT NULL,
    role           TEXT NOT NULL,
    grantee_tenant TEXT,
    created_by     TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX authz_access_entry
    ON authz_access (tenant_id, resource_type, resource_id, principal_type, principal_id, role);

-- Tenant-defined roles (the built-in owner, admin, editor and viewer are
-- not stored): the actions a role permits and the roles it inherits.
CREATE TABLE authz_roles (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    description TEXT,
    permissions TEXT NOT NULL,
    inherits    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

SELECT caas_enable_tenant_rls('authz_entities');
SELECT caas_enable_tenant_rls('authz_entity_parents');
SELECT caas_enable_tenant_rls('authz_access');
SELECT caas_enable_tenant_rls('authz_roles');
