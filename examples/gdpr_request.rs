//! GDPR on caas-privacy, end to end in one process: a purpose and a
//! subject's consent, an export request that gathers every source's data
//! into one document, an erasure request (a legal hold keeps one category),
//! the deletion log, and the audit log verified as a third party would —
//! the signed checkpoint, then a consistency proof from before the erasure
//! to after it.
//!
//! Run with `cargo run -p caas-examples --example gdpr_request`.

use std::sync::Arc;

use caas_core::{
    AuditEvent, DataCategory, Db, ErasureMethod, NewTenant, RecordingDataSubjectSource,
    SqlTenantStore, SubjectRef, SystemClock, TenantSlug, TenantStore,
};
use caas_crypto::{KeyManager, MasterKey, SqlKeyManager};
use caas_privacy::audit::checkpoint::verify_signed;
use caas_privacy::audit::merkle::verify_consistency;
use caas_privacy::{
    AuditLog, AuditLogSource, GiveConsent, HoldScope, LegalBasis, NewHold, NewPurpose, NewRequest,
    Privacy, PrivacyParts, RequestKind,
};

fn category(name: &str, what: &str) -> DataCategory {
    DataCategory {
        name: name.into(),
        description: what.into(),
        fields: vec![],
        retention: "until erasure".into(),
    }
}

#[tokio::main]
async fn main() -> caas_core::Result<()> {
    let db = Db::in_memory(&[
        &caas_core::MIGRATIONS,
        &caas_crypto::MIGRATIONS,
        &caas_privacy::MIGRATIONS,
    ])
    .await?;
    let clock = SystemClock::shared();
    let shop = SqlTenantStore::new(db.clone(), clock.clone())
        .create(NewTenant::new(TenantSlug::parse("shop")?, "Shop"))
        .await?
        .id;
    let keys = Arc::new(SqlKeyManager::new(
        db.clone(),
        MasterKey::generate(),
        clock.clone(),
        None,
    ));
    let log = AuditLog::new(db.clone(), keys.clone(), clock.clone());
    let privacy = Privacy::new(PrivacyParts {
        db,
        keys: keys.clone(),
        clock: clock.clone(),
        events: None,
        audit: Some(Arc::new(log.clone())),
    });
    privacy.register(Arc::new(AuditLogSource(log.clone())))?;
    // Two stand-ins for an application's stores.
    let orders = Arc::new(RecordingDataSubjectSource::new(
        "shop.orders",
        vec![category("orders", "what was bought, when, delivered where")],
    ));
    let profile = Arc::new(RecordingDataSubjectSource::new(
        "shop.profile",
        vec![category("profile", "name, email, address")],
    ));
    privacy.register(orders.clone())?;
    privacy.register(profile.clone())?;
    let ana = SubjectRef::new(shop, "ana");
    profile.insert(
        &ana,
        "profile",
        serde_json::json!({ "name": "Ana", "email": "ana@example.com" }),
    )?;
    orders.insert(
        &ana,
        "orders",
        serde_json::json!([{ "id": 1, "item": "kettle" }]),
    )?;
    log.append(
        &shop,
        &AuditEvent::new(clock.as_ref(), "auth.login")
            .tenant(shop)
            .actor("ana"),
    )
    .await?;

    // Consent.
    privacy
        .consents()
        .put_purpose(
            &shop,
            NewPurpose {
                id: "newsletter".into(),
                description: "a monthly newsletter by email".into(),
                legal_basis: LegalBasis::Consent,
                categories: vec!["profile".into()],
                retention: "until consent is withdrawn".into(),
            },
            "dpo",
        )
        .await?;
    let give: GiveConsent = serde_json::from_value(
        serde_json::json!({ "purpose": "newsletter", "notice_version": "2026-11", "method": "web-form" }),
    )?;
    let record = privacy.consents().give(&shop, "ana", give).await?;
    println!(
        "consent {} to `{}`: {:?}",
        record.record_id, record.purpose, record.state
    );
    println!(
        "has consent: {}",
        privacy
            .consents()
            .has_consent(&shop, "ana", "newsletter")
            .await?
    );

    // Access: every source's data in one document.
    let request = privacy
        .requests()
        .submit(
            &shop,
            "ana",
            NewRequest {
                kind: RequestKind::Access,
                method: None,
                details: None,
            },
            "ana",
        )
        .await?;
    println!("access request {} due {}", request.id, request.due_at);
    privacy
        .requests()
        .verify(&shop, &request.id, "dpo", Some("email link".into()))
        .await?;
    privacy
        .requests()
        .approve(&shop, &request.id, "dpo")
        .await?;
    let export = privacy.requests().export(&shop, &request.id).await?;
    println!("export manifest: {}", export["manifest"]);
    println!("export of shop.profile: {}", export["data"]["shop.profile"]);

    // Erasure, with the orders held for a tax audit.
    privacy
        .holds()
        .place(
            &shop,
            NewHold {
                scope: HoldScope::Category {
                    category: "orders".into(),
                },
                reason: "tax records, 10 years".into(),
                case_reference: "TAX-2026".into(),
                starts_at: None,
                ends_at: None,
            },
            "dpo",
        )
        .await?;
    let before = log.checkpoint(&shop).await?;
    let request = privacy
        .requests()
        .submit(
            &shop,
            "ana",
            NewRequest {
                kind: RequestKind::Erasure,
                method: Some(ErasureMethod::Delete),
                details: None,
            },
            "ana",
        )
        .await?;
    privacy
        .requests()
        .verify(&shop, &request.id, "dpo", None)
        .await?;
    let done = privacy
        .requests()
        .approve(&shop, &request.id, "dpo")
        .await?;
    if let Some(report) = done.result.and_then(|r| r.erasure) {
        for s in &report.sources {
            println!(
                "erased {:>2} records in {:<22} kept: {:?}",
                s.records, s.source, s.retained
            );
        }
        println!(
            "keys shredded: {} (a hold keeps data sealed under them)",
            report.keys_shredded
        );
    }
    println!(
        "deletion log: {}",
        serde_json::to_string(&privacy.requests().deletion_log(&shop).await?)?
    );

    // The audit log, checked as an outsider holding two checkpoints.
    let after = log.checkpoint(&shop).await?;
    let old = verify_signed(&before.note, &after.verifier_key)
        .map_err(|e| caas_core::Error::internal(e.to_string()))?;
    let new = verify_signed(&after.note, &after.verifier_key)
        .map_err(|e| caas_core::Error::internal(e.to_string()))?;
    let proof = log.consistency_proof(&shop, old.size, new.size).await?;
    let hashes: Vec<Vec<u8>> = proof
        .hashes
        .iter()
        .map(|h| hex_decode(h))
        .collect::<Option<_>>()
        .ok_or_else(|| caas_core::Error::internal("a proof hash is not hex"))?;
    let consistent = verify_consistency(old.size, new.size, &hashes, &old.root, &new.root).is_ok();
    println!(
        "checkpoint {} → {}: consistent = {consistent}",
        old.size, new.size
    );
    println!("{}", after.note);
    let verification = log.verify(&shop, Some(&after.verifier_key)).await?;
    println!(
        "full re-verification: ok = {}, {} entries",
        verification.ok(),
        verification.size
    );
    // A shredded subject's sealed values read as erased, never as corrupt.
    let sealed = keys
        .encrypt_for_subject(&shop, "bob", "notes", b"bob's note")
        .await?;
    keys.shred(&shop, "bob").await?;
    let gone = keys
        .decrypt_for_subject(&shop, "bob", "notes", &sealed)
        .await;
    println!(
        "a shredded subject's value: {:?}",
        gone.err().map(|e| e.code())
    );
    Ok(())
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}
