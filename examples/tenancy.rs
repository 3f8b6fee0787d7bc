//! Tenancy end to end: create tenants in SQLite, resolve requests to them by
//! header, subdomain and path, and see each way resolution refuses a request.
//!
//! Run with `cargo run -p caas-examples --example tenancy`.

use std::sync::Arc;

use caas_core::sql::{Migration, Migrations, Scalar, query};
use caas_core::{
    Db, MIGRATIONS, NewTenant, SqlTenantStore, SystemClock, TenantHints, TenantResolver,
    TenantSlug, TenantSource, TenantStatus, TenantStore,
};

/// A tenant-owned table, declared the way every CAAS crate declares one.
static NOTES: Migrations = Migrations {
    component: "example",
    sqlite: &[Migration {
        version: 990_001,
        description: "notes",
        sql: "CREATE TABLE notes (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, body TEXT NOT NULL);",
    }],
    postgres: &[Migration {
        version: 990_001,
        description: "notes",
        sql:
            "CREATE TABLE notes (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, body TEXT NOT NULL);
              SELECT caas_enable_tenant_rls('notes');",
    }],
    retired: &[],
};

#[tokio::main]
async fn main() -> caas_core::Result<()> {
    let db = Db::in_memory(&[&MIGRATIONS, &NOTES]).await?;
    let tenants = Arc::new(SqlTenantStore::new(db.clone(), SystemClock::shared()));
    println!("1. opened an in-memory SQLite database and applied the migrations");

    let acme = tenants
        .create(NewTenant::new(TenantSlug::parse("acme")?, "Acme Inc."))
        .await?;
    let globex = tenants
        .create(NewTenant::new(TenantSlug::parse("globex")?, "Globex"))
        .await?;
    println!(
        "2. created tenants `{}` ({}) and `{}`",
        acme.slug, acme.id, globex.slug
    );

    match TenantSlug::parse("Not_A_Slug") {
        Err(e) => println!("3. an invalid slug is refused: {e} ({})", e.kind()),
        Ok(_) => println!("3. unexpectedly accepted an invalid slug"),
    }

    let resolver = TenantResolver::new(
        tenants.clone(),
        &TenantSource::DEFAULT_ORDER,
        Some("caas.example.com"),
    )?;
    for (label, hints) in [
        (
            "X-Tenant-ID: acme",
            TenantHints {
                header: Some("acme"),
                ..Default::default()
            },
        ),
        (
            "Host: acme.caas.example.com",
            TenantHints {
                host: Some("acme.caas.example.com"),
                ..Default::default()
            },
        ),
        (
            "GET /t/acme/notes",
            TenantHints {
                path: Some("/t/acme/notes"),
                ..Default::default()
            },
        ),
    ] {
        let found = resolver.resolve_required(&hints).await?;
        println!("4. {label:<30} → tenant `{}`", found.tenant.slug);
    }

    let refusals = [
        (
            "header and subdomain disagree",
            TenantHints {
                header: Some("acme"),
                host: Some("globex.caas.example.com"),
                ..Default::default()
            },
        ),
        (
            "unknown tenant",
            TenantHints {
                header: Some("initech"),
                ..Default::default()
            },
        ),
        (
            "no tenant named",
            TenantHints {
                path: Some("/v1/notes"),
                ..Default::default()
            },
        ),
    ];
    for (label, hints) in refusals {
        match resolver.resolve_required(&hints).await {
            Err(e) => println!(
                "5. {label:<30} → {} (HTTP {}): {e}",
                e.kind(),
                e.kind().http_status()
            ),
            Ok(r) => println!("5. {label:<30} → unexpectedly resolved `{}`", r.tenant.slug),
        }
    }

    tenants
        .set_status(&globex.id, TenantStatus::Suspended)
        .await?;
    let hints = TenantHints {
        header: Some("globex"),
        ..Default::default()
    };
    if let Err(e) = resolver.resolve_required(&hints).await {
        println!(
            "6. suspended tenant → {} (HTTP {}): {e}",
            e.kind(),
            e.kind().http_status()
        );
    }

    // Tenant data is written and read inside a tenant transaction.
    for (tenant, body) in [(&acme, "acme's note"), (&globex, "globex's note")] {
        let mut tx = db.tenant_tx(&tenant.id).await?;
        query("INSERT INTO notes (id, tenant_id, body) VALUES ($1, $2, $3)")
            .bind(caas_core::new_id(&SystemClock))
            .bind(tenant.id)
            .bind(body)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
    }
    let mut tx = db.tenant_tx(&acme.id).await?;
    let count = query("SELECT count(*) FROM notes WHERE tenant_id = $1")
        .bind(acme.id)
        .fetch_one::<Scalar<i64>>(&mut tx)
        .await?;
    println!(
        "7. acme sees {} note(s) of its own in its tenant transaction",
        count.0
    );
    Ok(())
}
