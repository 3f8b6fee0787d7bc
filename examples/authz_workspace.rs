//! A docs/drive workspace on caas-authz: an owner, an editor and a viewer,
//! folders with documents, a private folder that breaks inheritance, a
//! tenant policy that forbids, and a cross-tenant grant — each decision
//! printed with its reasons.
//!
//! Run with `cargo run -p caas-examples --example authz_workspace`.

use std::collections::BTreeSet;
use std::sync::Arc;

use caas_authz::{
    AuthzRequest, Engine, EngineConfig, EngineParts, EntityInput, EntityRef, PolicyDraft,
    PolicyStore, RoleStore, SqlEntities,
};
use caas_core::{
    Db, MIGRATIONS, MemoryAuditSink, NewTenant, SqlTenantStore, SystemClock, TenantId, TenantSlug,
    TenantStore,
};

fn user(id: &str) -> EntityRef {
    EntityRef::new("User", id)
}

fn folder(id: &str) -> EntityRef {
    EntityRef::new("Folder", id)
}

fn doc(id: &str) -> EntityRef {
    EntityRef::new("Doc", id)
}

async fn show(
    engine: &Engine,
    tenant: &TenantId,
    who: &EntityRef,
    action: &str,
    what: &EntityRef,
) -> caas_core::Result<()> {
    let d = engine
        .authorize(
            tenant,
            &AuthzRequest {
                principal: who.clone(),
                roles: BTreeSet::new(),
                action: action.into(),
                resource: what.clone(),
                context: serde_json::Map::new(),
            },
            None,
        )
        .await?;
    let via: Vec<String> = d
        .access
        .iter()
        .map(|a| format!("{} on {}", a.role, a.resource))
        .collect();
    println!(
        "   {:<42} {:<7} {:<18} {}  reasons {:?}{}",
        who.to_string(),
        action,
        what.to_string(),
        if d.allow { "ALLOW" } else { "deny " },
        d.reasons,
        if via.is_empty() {
            String::new()
        } else {
            format!(" via {}", via.join(", "))
        }
    );
    Ok(())
}

async fn put(
    engine: &Engine,
    t: &TenantId,
    e: &EntityRef,
    parent: Option<EntityRef>,
    inherit: bool,
) -> caas_core::Result<()> {
    engine
        .admin()
        .put_entity(
            t,
            e,
            &EntityInput {
                attrs: serde_json::Map::new(),
                parents: parent.into_iter().collect(),
                inherit,
            },
        )
        .await
        .map(|_| ())
}

#[tokio::main]
async fn main() -> caas_core::Result<()> {
    let db = Db::in_memory(&[&MIGRATIONS, &caas_authz::MIGRATIONS]).await?;
    let clock = SystemClock::shared();
    let tenants = SqlTenantStore::new(db.clone(), clock.clone());
    let acme = tenants
        .create(NewTenant::new(TenantSlug::parse("acme")?, "Acme"))
        .await?;
    let globex = tenants
        .create(NewTenant::new(TenantSlug::parse("globex")?, "Globex"))
        .await?;
    let audit = Arc::new(MemoryAuditSink::new());
    let store = SqlEntities::new(db.clone(), clock.clone());
    let engine = Engine::new(EngineParts {
        policies: PolicyStore::new(db.clone(), clock.clone()),
        roles: RoleStore::new(db.clone(), clock.clone()),
        provider: Arc::new(store.clone()),
        store,
        events: Some(Arc::new(caas_core::events::MemoryEventBus::new())),
        audit: Some(audit.clone()),
        clock,
        config: EngineConfig::default(),
    });
    let t = &acme.id;
    println!("1. tenants `acme` and `globex`; the built-in roles viewer ⊂ editor ⊂ admin ⊂ owner");

    let (olga, ed, vic) = (user("olga"), user("ed"), user("vic"));
    engine.admin().assign_role(t, "owner", &olga).await?;
    engine.admin().assign_role(t, "viewer", &vic).await?;
    put(&engine, t, &folder("drive"), None, true).await?;
    put(
        &engine,
        t,
        &folder("marketing"),
        Some(folder("drive")),
        true,
    )
    .await?;
    put(&engine, t, &folder("hr"), Some(folder("drive")), false).await?;
    put(
        &engine,
        t,
        &doc("launch-plan"),
        Some(folder("marketing")),
        true,
    )
    .await?;
    put(&engine, t, &doc("salaries"), Some(folder("hr")), true).await?;
    engine
        .admin()
        .add_access(t, &folder("drive"), &ed, "editor", Some("olga"))
        .await?;
    println!(
        "2. olga owns the tenant, vic views it; ed edits the `drive` folder; `hr` breaks inheritance"
    );
    show(&engine, t, &olga, "transfer", &doc("launch-plan")).await?;
    show(&engine, t, &ed, "update", &doc("launch-plan")).await?;
    show(&engine, t, &ed, "update", &doc("salaries")).await?;
    show(&engine, t, &vic, "read", &doc("launch-plan")).await?;
    show(&engine, t, &vic, "update", &doc("launch-plan")).await?;

    engine
        .admin().publish_policies(
            t,
            &PolicyDraft {
                policies: "@id(\"hr-is-private\")\n\
                           forbid(principal, action, resource in Folder::\"hr\")\n\
                           unless { principal == User::\"olga\" };"
                    .into(),
                schema: "entity Folder in [Folder]; entity Doc in [Folder];\n\
                         action read, update, transfer appliesTo { principal: [User], resource: [Doc, Folder] };"
                    .into(),
                note: Some("HR stays private".into()),
            },
            None,
            Some("olga"),
        )
        .await?;
    println!(
        "3. a tenant policy forbids `hr` to everyone but olga (forbid overrides the role policies)"
    );
    show(&engine, t, &vic, "read", &doc("salaries")).await?;
    show(&engine, t, &olga, "read", &doc("salaries")).await?;

    let partner = EntityRef::foreign(&globex.id, "pat");
    let grant = engine
        .admin()
        .grant(
            t,
            &globex.id,
            "pat",
            "viewer",
            &folder("marketing"),
            Some("olga"),
        )
        .await?;
    println!("4. acme grants globex's pat `viewer` on `marketing` (a cross-tenant grant)");
    show(&engine, t, &partner, "read", &doc("launch-plan")).await?;
    show(&engine, t, &partner, "update", &doc("launch-plan")).await?;
    show(&engine, t, &partner, "read", &folder("drive")).await?;
    engine.admin().revoke_grant(t, &grant.id).await?;
    println!("5. the grant is revoked");
    show(&engine, t, &partner, "read", &doc("launch-plan")).await?;

    let actions = engine
        .actions(
            t,
            &ed,
            &BTreeSet::new(),
            &doc("launch-plan"),
            &serde_json::Map::new(),
        )
        .await?;
    println!("6. what ed may do on launch-plan: {actions:?}");
    let denies = audit
        .events()?
        .iter()
        .filter(|e| e.outcome == caas_core::Outcome::Denied)
        .count();
    println!("7. {denies} denies were audited");
    Ok(())
}
