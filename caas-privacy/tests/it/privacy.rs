//! The privacy service on SQLite and PostgreSQL: consent, request states and
//! due dates, export and erasure fanned out to sources, legal holds,
//! retention, breaches, records of processing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use caas_core::testkit::Backend;
use caas_core::{
    Clock, DataCategory, DataSubjectSource, ErasureMethod, ErasureOutcome, ErrorKind, NewTenant,
    RecordingDataSubjectSource, Result, SqlTenantStore, SubjectExport, SubjectRef, TenantId,
    TenantSlug, TenantStore, Timestamp, TopicFilter,
};
use caas_crypto::{KeyManager, MasterKey, SqlKeyManager};
use caas_privacy::{
    AuditLog, AuditLogSource, BreachUpdate, ConsentState, Consents, GiveConsent, HoldScope, Holds,
    LegalBasis, NewBreach, NewHold, NewPurpose, NewRequest, Privacy, PrivacyParts,
    ProcessingRecords, RequestKind, RequestState, Requests, Retention, RetentionPolicy,
    SourceRegistry, due_date,
};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_privacy::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [
        consent_is_given_withdrawn_and_expires,
        requests_move_through_their_states_with_due_dates,
        export_and_erasure_reach_every_source,
        legal_holds_block_only_what_they_cover,
        one_category_is_erased_alone_and_audited,
        retention_erases_what_is_past_age_and_nothing_held,
        breaches_have_a_72_hour_deadline,
        records_of_processing_list_every_source,
        an_interrupted_request_is_carried_out_again,
        restriction_and_objection,
        stores_work_on_their_own,
    ],
}

struct Fixture {
    t: TenantId,
    keys: Arc<SqlKeyManager>,
    log: AuditLog,
    privacy: Privacy,
}

async fn fixture(b: &Backend, slug: &str) -> Fixture {
    let t = SqlTenantStore::new(b.sql().clone(), b.shared_clock())
        .create(NewTenant::new(TenantSlug::parse(slug).unwrap(), "Privacy"))
        .await
        .unwrap()
        .id;
    let keys = Arc::new(SqlKeyManager::new(
        b.sql().clone(),
        MasterKey::generate(),
        b.shared_clock(),
        None,
    ));
    let log = AuditLog::new(b.sql().clone(), keys.clone(), b.shared_clock());
    let privacy = Privacy::new(PrivacyParts {
        db: b.sql().clone(),
        keys: keys.clone(),
        clock: b.shared_clock(),
        events: Some(b.events.clone()),
        audit: Some(Arc::new(log.clone())),
    });
    privacy
        .register(Arc::new(AuditLogSource(log.clone())))
        .unwrap();
    Fixture {
        t,
        keys,
        log,
        privacy,
    }
}

/// A request of `kind` by `subject`, verified and carried out by an admin.
async fn carry_out(
    p: &Privacy,
    t: &TenantId,
    subject: &str,
    kind: RequestKind,
) -> caas_privacy::DataSubjectRequest {
    let new = NewRequest {
        kind,
        method: None,
        details: None,
    };
    let r = p.requests().submit(t, subject, new, subject).await.unwrap();
    p.requests().verify(t, &r.id, "admin", None).await.unwrap();
    p.requests().approve(t, &r.id, "admin").await.unwrap()
}

fn category(name: &str) -> DataCategory {
    DataCategory {
        name: name.into(),
        description: format!("{name} data"),
        fields: vec!["subject".into()],
        retention: "a while".into(),
    }
}

fn purpose(id: &str) -> NewPurpose {
    NewPurpose {
        id: id.into(),
        description: format!("we use it for {id}"),
        legal_basis: LegalBasis::Consent,
        categories: vec!["contact".into()],
        retention: "until withdrawn".into(),
    }
}

fn give(purpose: &str) -> GiveConsent {
    serde_json::from_value(serde_json::json!({ "purpose": purpose, "notice_version": "2026-11" }))
        .unwrap()
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

async fn consent_is_given_withdrawn_and_expires(b: &Backend) {
    let f = fixture(b, "consent").await;
    let p = &f.privacy;
    let e = p
        .consents()
        .give(&f.t, "ana", give("newsletter"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    p.consents()
        .put_purpose(&f.t, purpose("newsletter"), "admin")
        .await
        .unwrap();
    p.consents()
        .put_purpose(&f.t, purpose("analytics"), "admin")
        .await
        .unwrap();
    // The same purpose again is no change (nothing audited); a new
    // description is.
    let size = f.log.checkpoint(&f.t).await.unwrap().checkpoint.size;
    let again = p
        .consents()
        .put_purpose(&f.t, purpose("analytics"), "admin");
    assert_eq!(again.await.unwrap().description, "we use it for analytics");
    assert_eq!(f.log.checkpoint(&f.t).await.unwrap().checkpoint.size, size);
    let reworded = NewPurpose {
        description: "we count visits".into(),
        ..purpose("analytics")
    };
    let changed = p.consents().put_purpose(&f.t, reworded, "admin").await;
    assert_eq!(changed.unwrap().description, "we count visits");
    assert_eq!(
        f.log.checkpoint(&f.t).await.unwrap().checkpoint.size,
        size + 1
    );
    let bad = NewPurpose {
        id: "Bad Id".into(),
        ..purpose("x")
    };
    assert_eq!(
        p.consents()
            .put_purpose(&f.t, bad, "admin")
            .await
            .unwrap_err()
            .field(),
        Some("id")
    );
    assert_eq!(p.consents().purposes(&f.t).await.unwrap().len(), 2);

    assert!(
        !p.consents()
            .has_consent(&f.t, "ana", "newsletter")
            .await
            .unwrap()
    );
    let r = p
        .consents()
        .give(&f.t, "ana", give("newsletter"))
        .await
        .unwrap();
    assert_eq!(r.state, ConsentState::Given);
    assert_eq!(r.pii_categories, vec!["contact".to_owned()]);
    assert_eq!((r.language.as_str(), r.jurisdiction.as_str()), ("en", "EU"));
    assert!(
        p.consents()
            .has_consent(&f.t, "ana", "newsletter")
            .await
            .unwrap()
    );
    assert!(
        !p.consents()
            .has_consent(&f.t, "bob", "newsletter")
            .await
            .unwrap()
    );
    // The same answer through the caas-core seam other crates hold.
    let seam: Arc<dyn caas_core::ConsentCheck> = Arc::new(p.clone());
    assert!(seam.has_consent(&f.t, "ana", "newsletter").await.unwrap());
    assert!(!seam.has_consent(&f.t, "ana", "analytics").await.unwrap());

    let w = p
        .consents()
        .withdraw(&f.t, "ana", "newsletter", "web-form")
        .await
        .unwrap();
    assert_eq!(
        (w.state, w.record_id.as_str()),
        (ConsentState::Withdrawn, r.record_id.as_str())
    );
    assert!(
        !p.consents()
            .has_consent(&f.t, "ana", "newsletter")
            .await
            .unwrap()
    );
    // Withdrawing again changes nothing; withdrawing what was never given is 404.
    assert_eq!(
        p.consents()
            .withdraw(&f.t, "ana", "newsletter", "api")
            .await
            .unwrap()
            .events
            .len(),
        2
    );
    let e = p
        .consents()
        .withdraw(&f.t, "ana", "analytics", "api")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    // Consent valid for 30 days expires (recorded once).
    let mut g = give("analytics");
    g.valid_days = Some(30);
    p.consents().give(&f.t, "ana", g).await.unwrap();
    assert!(
        p.consents()
            .has_consent(&f.t, "ana", "analytics")
            .await
            .unwrap()
    );
    b.clock.advance(Duration::from_secs(31 * 86_400));
    assert!(
        !p.consents()
            .has_consent(&f.t, "ana", "analytics")
            .await
            .unwrap()
    );
    let all = p.consents().list(&f.t, "ana").await.unwrap();
    let analytics = all.iter().find(|r| r.purpose == "analytics").unwrap();
    assert_eq!(analytics.state, ConsentState::Expired);
    assert_eq!(analytics.events.len(), 2);
    let history = p.consents().history(&f.t, "ana").await.unwrap();
    let states: Vec<&str> = history
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["given", "withdrawn", "given", "expired"]);

    let mut g = give("analytics");
    g.valid_days = Some(0);
    assert_eq!(
        p.consents().give(&f.t, "ana", g).await.unwrap_err().field(),
        Some("valid_days")
    );
    let mut g = give("analytics");
    g.language = "not a tag!".into();
    assert_eq!(
        p.consents().give(&f.t, "ana", g).await.unwrap_err().field(),
        Some("language")
    );
    // Consent changes are in the audit log, sealed under the subject's key.
    let entries = f.log.subject_entries(&f.t, "ana").await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "privacy.consent_withdrawn")
    );
}

async fn requests_move_through_their_states_with_due_dates(b: &Backend) {
    // Due-date arithmetic on month ends.
    assert_eq!(
        due_date(at("2026-01-31T09:00:00Z"), 0),
        at("2026-02-28T09:00:00Z")
    );
    assert_eq!(
        due_date(at("2028-01-31T09:00:00Z"), 0),
        at("2028-02-29T09:00:00Z")
    );
    assert_eq!(
        due_date(at("2026-01-31T09:00:00Z"), 2),
        at("2026-04-30T09:00:00Z")
    );
    assert_eq!(
        due_date(at("2026-03-15T09:00:00Z"), 1),
        at("2026-05-15T09:00:00Z")
    );

    b.clock.set(at("2026-01-31T10:00:00Z"));
    let f = fixture(b, "states").await;
    let p = &f.privacy;
    let access = NewRequest {
        kind: RequestKind::Access,
        method: None,
        details: None,
    };
    let r = p
        .requests()
        .submit(&f.t, "ana", access.clone(), "ana")
        .await
        .unwrap();
    assert_eq!(r.state, RequestState::Received);
    assert_eq!(r.due_at, at("2026-02-28T10:00:00Z"));
    // Not verified yet: cannot be carried out.
    let e = p
        .requests()
        .approve(&f.t, &r.id, "admin")
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Conflict, "invalid_state"));
    assert!(
        e.message().contains("verify the subject's identity first"),
        "the refusal names the step that comes first: {e}"
    );
    // Extension: 1 or 2 months, with a reason, once.
    assert_eq!(
        p.requests()
            .extend(&f.t, &r.id, "admin", 3, "complex")
            .await
            .unwrap_err()
            .field(),
        Some("months")
    );
    let r2 = p
        .requests()
        .extend(&f.t, &r.id, "admin", 2, "many sources")
        .await
        .unwrap();
    assert_eq!(r2.state, RequestState::Extended);
    assert_eq!(r2.due_at, at("2026-04-30T10:00:00Z"));
    assert_eq!(r2.extension.as_ref().unwrap().reason, "many sources");
    assert!(
        p.requests()
            .extend(&f.t, &r.id, "admin", 1, "again")
            .await
            .is_err()
    );
    // Extended before verification: still must verify first.
    assert!(p.requests().approve(&f.t, &r.id, "admin").await.is_err());

    let r = p
        .requests()
        .submit(&f.t, "ana", access, "ana")
        .await
        .unwrap();
    p.requests()
        .verify(&f.t, &r.id, "admin", Some("id card".into()))
        .await
        .unwrap();
    assert!(
        p.requests()
            .verify(&f.t, &r.id, "admin", None)
            .await
            .is_err()
    );
    let done = p.requests().approve(&f.t, &r.id, "admin").await.unwrap();
    assert_eq!(done.state, RequestState::Completed);
    let states: Vec<RequestState> = done.history.iter().map(|c| c.state).collect();
    assert_eq!(
        states,
        [
            RequestState::Received,
            RequestState::Verified,
            RequestState::InProgress,
            RequestState::Completed
        ]
    );
    assert!(
        p.requests()
            .deny(&f.t, &r.id, "admin", "too late")
            .await
            .is_err()
    );
    assert!(!done.overdue(at("2026-12-01T00:00:00Z")));

    let denied = p
        .requests()
        .submit(
            &f.t,
            "bob",
            NewRequest {
                kind: RequestKind::Restriction,
                method: None,
                details: None,
            },
            "bob",
        )
        .await
        .unwrap();
    let denied = p
        .requests()
        .deny(&f.t, &denied.id, "admin", "identity not proven")
        .await
        .unwrap();
    assert_eq!(denied.state, RequestState::Denied);
    // Rectification needs details; method is for erasure only.
    let e = p
        .requests()
        .submit(
            &f.t,
            "bob",
            NewRequest {
                kind: RequestKind::Rectification,
                method: None,
                details: None,
            },
            "bob",
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("details"));
    let e = p
        .requests()
        .submit(
            &f.t,
            "bob",
            NewRequest {
                kind: RequestKind::Access,
                method: Some(ErasureMethod::Delete),
                details: None,
            },
            "bob",
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("method"));
    assert_eq!(p.requests().list(&f.t, Some("ana")).await.unwrap().len(), 2);
    assert_eq!(p.requests().list(&f.t, None).await.unwrap().len(), 3);
    b.clock.set(at("2026-03-01T00:00:00Z"));
    assert!(
        p.requests()
            .get(&f.t, &r2.id)
            .await
            .unwrap()
            .overdue(at("2026-05-01T00:00:00Z"))
    );
}

async fn export_and_erasure_reach_every_source(b: &Backend) {
    let f = fixture(b, "dsr").await;
    let p = &f.privacy;
    let accounts = Arc::new(RecordingDataSubjectSource::new(
        "test.accounts",
        vec![category("account")],
    ));
    p.register(accounts.clone()).unwrap();
    assert!(
        p.register(accounts.clone()).is_err(),
        "a name registers once"
    );
    let ana = SubjectRef::new(f.t, "ana");
    accounts
        .insert(
            &ana,
            "account",
            serde_json::json!({ "email": "ana@example.com" }),
        )
        .unwrap();
    p.consents()
        .put_purpose(&f.t, purpose("newsletter"), "admin")
        .await
        .unwrap();
    p.consents()
        .give(&f.t, "ana", give("newsletter"))
        .await
        .unwrap();
    f.log
        .append(
            &f.t,
            &caas_core::AuditEvent::new(b.clock.as_ref(), "auth.login")
                .tenant(f.t)
                .actor("ana"),
        )
        .await
        .unwrap();

    let r = p
        .requests()
        .submit(
            &f.t,
            "ana",
            NewRequest {
                kind: RequestKind::Portability,
                method: None,
                details: None,
            },
            "ana",
        )
        .await
        .unwrap();
    assert_eq!(
        p.requests().export(&f.t, &r.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    p.requests()
        .verify(&f.t, &r.id, "admin", None)
        .await
        .unwrap();
    let done = p.requests().approve(&f.t, &r.id, "admin").await.unwrap();
    let manifest = done.result.unwrap().manifest.unwrap();
    let names: Vec<&str> = manifest.iter().map(|m| m.source.as_str()).collect();
    assert_eq!(
        names,
        [
            "caas-privacy.records",
            "caas-privacy.audit",
            "test.accounts"
        ]
    );
    let doc = p.requests().export(&f.t, &r.id).await.unwrap();
    assert_eq!(doc["format"], "caas-subject-export/1");
    assert_eq!(doc["subject"], "ana");
    assert_eq!(
        doc["data"]["test.accounts"]["account"]["email"],
        "ana@example.com"
    );
    assert_eq!(
        doc["data"]["caas-privacy.records"]["consent"]["records"][0]["purpose"],
        "newsletter"
    );
    let actions: Vec<&str> = doc["data"]["caas-privacy.audit"]["security_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"auth.login"), "{actions:?}");
    assert!(actions.contains(&"privacy.consent_given"), "{actions:?}");

    let sealed = f
        .keys
        .encrypt_for_subject(&f.t, "ana", "profile", b"ana's phone number")
        .await
        .unwrap();
    let before = f.log.checkpoint(&f.t).await.unwrap();
    let done = carry_out(p, &f.t, "ana", RequestKind::Erasure).await;
    let report = done.result.unwrap().erasure.unwrap();
    assert!(report.keys_shredded);
    assert!(report.limited_by.is_empty());
    assert_eq!(done.subject, None);
    assert!(
        accounts
            .calls()
            .unwrap()
            .contains(&caas_core::SubjectCall::Erase(
                ana.clone(),
                ErasureMethod::Delete
            ))
    );
    // Nothing is left about ana: her consents, requests and audit entries.
    assert!(p.consents().list(&f.t, "ana").await.unwrap().is_empty());
    assert!(
        p.requests()
            .list(&f.t, Some("ana"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(f.log.subject_entries(&f.t, "ana").await.unwrap().is_empty());
    // The earlier export is gone with her key.
    assert!(p.requests().export(&f.t, &done.id).await.is_err());
    // A value sealed under ana's key before the erasure now fails as erased.
    let e = f
        .keys
        .decrypt_for_subject(&f.t, "ana", "profile", &sealed)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "erased");
    // The deletion log holds no personal data.
    let log = p.requests().deletion_log(&f.t).await.unwrap();
    assert_eq!(log.len(), 1);
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains("ana"), "{text}");
    // The audit tree still verifies and extends what was checkpointed before.
    let after = f.log.checkpoint(&f.t).await.unwrap();
    let proof = f
        .log
        .consistency_proof(&f.t, before.checkpoint.size, after.checkpoint.size)
        .await
        .unwrap();
    let hashes: Vec<Vec<u8>> = proof
        .hashes
        .iter()
        .map(|h| hex::decode(h).unwrap())
        .collect();
    caas_privacy::audit::merkle::verify_consistency(
        before.checkpoint.size,
        after.checkpoint.size,
        &hashes,
        &before.checkpoint.root,
        &after.checkpoint.root,
    )
    .unwrap();
    assert!(
        f.log
            .verify(&f.t, Some(&after.verifier_key))
            .await
            .unwrap()
            .ok()
    );
}

async fn one_category_is_erased_alone_and_audited(b: &Backend) {
    let f = fixture(b, "partial").await;
    let p = &f.privacy;
    let both = vec![category("account"), category("game_history")];
    let source = Arc::new(RecordingDataSubjectSource::new("test.both", both));
    p.register(source.clone()).unwrap();
    let ana = SubjectRef::new(f.t, "ana");
    source
        .insert(
            &ana,
            "account",
            serde_json::json!({"email": "a@example.com"}),
        )
        .unwrap();
    source
        .insert(&ana, "game_history", serde_json::json!([1, 2]))
        .unwrap();
    let first = caas_core::AuditEvent::new(b.clock.as_ref(), "test.first").tenant(f.t);
    caas_core::AuditSink::record(&f.log, first).await.unwrap();
    let before = f.log.checkpoint(&f.t).await.unwrap();
    // An actor the audit log would refuse is refused before anything goes.
    let bad_actor = p
        .requests()
        .erase_category(
            &ana,
            "game_history",
            None,
            ErasureMethod::Delete,
            "ana\n\x1b[31m",
        )
        .await
        .unwrap_err();
    assert_eq!(bad_actor.field(), Some("by"));
    assert_eq!(source.export(&ana).await.unwrap().categories.len(), 2);

    let report = p
        .requests()
        .erase_category(&ana, "game_history", None, ErasureMethod::Delete, "ana")
        .await
        .unwrap();
    assert!(
        !report.keys_shredded,
        "the rest is still sealed under the key"
    );
    let erased = report
        .sources
        .iter()
        .find(|s| s.source == "test.both")
        .unwrap();
    assert_eq!(erased.records, 1);
    let left = source.export(&ana).await.unwrap().categories;
    assert_eq!(left.keys().collect::<Vec<_>>(), ["account"]);
    // Audited, and the log still verifies.
    let size = f.log.checkpoint(&f.t).await.unwrap().checkpoint.size;
    let last = f.log.entries(&f.t, size - 1, 1).await.unwrap();
    assert_eq!(last[0].action, "privacy.category_erased");
    assert_eq!(last[0].target.as_deref(), Some("ana"));
    assert!(size > before.checkpoint.size);
    assert!(f.log.verify(&f.t, None).await.unwrap().ok());
    // The log after the erasure extends the log before it, provably.
    let after = f.log.checkpoint(&f.t).await.unwrap();
    let proof = f
        .log
        .consistency_proof(&f.t, before.checkpoint.size, size)
        .await
        .unwrap();
    let key = f.log.verifier_key(&f.t).await.unwrap();
    proof.verify(&before, &after, Some(&key)).unwrap();
    proof.verify(&before, &after, None).unwrap();
    assert!(
        proof.verify(&after, &before, None).is_err(),
        "sizes swapped"
    );
    let mut forged = proof.clone();
    forged.hashes[0] = "00".repeat(32);
    assert!(forged.verify(&before, &after, None).is_err());
    let mut retold = after.clone();
    retold.note = retold
        .note
        .replacen(&size.to_string(), &(size + 1).to_string(), 1);
    assert!(
        proof.verify(&before, &retold, None).is_err(),
        "a note changed after signing"
    );
    let mut relabelled = after.clone();
    relabelled.checkpoint.size += 1;
    assert!(
        proof.verify(&before, &relabelled, None).is_err(),
        "fields the note does not sign"
    );

    // Refusals change nothing.
    let refused = |category: &'static str, part: Option<&'static str>| {
        let ana = ana.clone();
        async move {
            p.requests()
                .erase_category(&ana, category, part, ErasureMethod::Delete, "ana")
                .await
                .unwrap_err()
        }
    };
    assert_eq!(
        refused("nothing_here", None).await.code(),
        "unknown_category"
    );
    assert_eq!(refused("", None).await.field(), Some("category"));
    // The audit log cannot erase its category apart from the rest.
    assert_eq!(
        refused("security_events", None).await.code(),
        "category_not_separable"
    );
    // This source has no parts.
    assert_eq!(
        refused("account", Some("x")).await.code(),
        "category_not_separable"
    );
    assert_eq!(source.export(&ana).await.unwrap().categories.len(), 1);

    // A hold on the category keeps it.
    let hold = p
        .holds()
        .place(
            &f.t,
            NewHold {
                scope: HoldScope::Category {
                    category: "account".into(),
                },
                reason: "dispute".into(),
                case_reference: "CASE-9".into(),
                starts_at: None,
                ends_at: None,
            },
            "admin",
        )
        .await
        .unwrap();
    let report = p
        .requests()
        .erase_category(&ana, "account", None, ErasureMethod::Delete, "ana")
        .await
        .unwrap();
    assert_eq!(report.limited_by, vec![hold.id]);
    assert_eq!(report.sources[0].records, 0);
    assert!(report.sources[0].retained[0].reason.contains("CASE-9"));
    assert_eq!(source.export(&ana).await.unwrap().categories.len(), 1);
}

async fn legal_holds_block_only_what_they_cover(b: &Backend) {
    let f = fixture(b, "holds").await;
    let p = &f.privacy;
    let accounts = Arc::new(RecordingDataSubjectSource::new(
        "test.accounts",
        vec![category("account")],
    ));
    let games = Arc::new(RecordingDataSubjectSource::new(
        "test.games",
        vec![category("game_history")],
    ));
    p.register(accounts.clone()).unwrap();
    p.register(games.clone()).unwrap();
    let hold = p
        .holds()
        .place(
            &f.t,
            NewHold {
                scope: HoldScope::Category {
                    category: "game_history".into(),
                },
                reason: "tournament dispute".into(),
                case_reference: "CASE-7".into(),
                starts_at: None,
                ends_at: None,
            },
            "admin",
        )
        .await
        .unwrap();
    let erase = |who: &str| NewRequest {
        kind: RequestKind::Erasure,
        method: None,
        details: Some(format!("erase {who}")),
    };
    let r = p
        .requests()
        .submit(&f.t, "ana", erase("ana"), "ana")
        .await
        .unwrap();
    p.requests()
        .verify(&f.t, &r.id, "admin", None)
        .await
        .unwrap();
    let report = p
        .requests()
        .approve(&f.t, &r.id, "admin")
        .await
        .unwrap()
        .result
        .unwrap()
        .erasure
        .unwrap();
    assert_eq!(report.limited_by, vec![hold.id.clone()]);
    assert!(
        !report.keys_shredded,
        "held data is sealed under the subject's key"
    );
    let held = report
        .sources
        .iter()
        .find(|s| s.source == "test.games")
        .unwrap();
    assert_eq!(held.records, 0);
    assert!(held.retained[0].reason.contains("CASE-7"));
    let ana = SubjectRef::new(f.t, "ana");
    let erased = |src: &RecordingDataSubjectSource| {
        src.calls()
            .unwrap()
            .iter()
            .any(|c| matches!(c, caas_core::SubjectCall::Erase(s, _) if *s == ana))
    };
    assert!(erased(&accounts));
    assert!(!erased(&games));

    // Released: the next erasure goes through everywhere.
    p.holds()
        .release(&f.t, &hold.id, "admin", "dispute settled")
        .await
        .unwrap();
    assert!(
        p.holds()
            .release(&f.t, &hold.id, "admin", "again")
            .await
            .is_err()
    );
    // A hold on another subject does not limit ana's erasure.
    p.holds()
        .place(
            &f.t,
            NewHold {
                scope: HoldScope::Subject {
                    subject: "bob".into(),
                },
                reason: "fraud".into(),
                case_reference: "CASE-8".into(),
                starts_at: None,
                ends_at: None,
            },
            "admin",
        )
        .await
        .unwrap();
    let r = p
        .requests()
        .submit(&f.t, "ana", erase("ana"), "ana")
        .await
        .unwrap();
    p.requests()
        .verify(&f.t, &r.id, "admin", None)
        .await
        .unwrap();
    let report = p
        .requests()
        .approve(&f.t, &r.id, "admin")
        .await
        .unwrap()
        .result
        .unwrap()
        .erasure
        .unwrap();
    assert!(report.limited_by.is_empty() && report.keys_shredded);
    assert!(erased(&games));
    // Bob's hold covers all of bob.
    let r = p
        .requests()
        .submit(&f.t, "bob", erase("bob"), "bob")
        .await
        .unwrap();
    p.requests()
        .verify(&f.t, &r.id, "admin", None)
        .await
        .unwrap();
    let report = p
        .requests()
        .approve(&f.t, &r.id, "admin")
        .await
        .unwrap()
        .result
        .unwrap()
        .erasure
        .unwrap();
    assert!(report.sources.iter().all(|s| s.records == 0));
    assert!(!report.keys_shredded);
    // A hold that ended is not in force; bad holds change nothing.
    let e = p
        .holds()
        .place(
            &f.t,
            NewHold {
                scope: HoldScope::Tenant,
                reason: "audit".into(),
                case_reference: "C".into(),
                starts_at: Some(b.clock.now()),
                ends_at: Some(b.clock.now()),
            },
            "admin",
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("ends_at"));
    assert_eq!(p.holds().list(&f.t).await.unwrap().len(), 2);
    assert_eq!(p.holds().in_force(&f.t).await.unwrap().len(), 1);
}

/// A source whose records have ages, for retention.
#[derive(Debug, Default)]
struct AgedSource {
    records: Mutex<Vec<(String, Timestamp)>>,
}

#[async_trait]
impl DataSubjectSource for AgedSource {
    fn name(&self) -> &str {
        "test.aged"
    }
    fn categories(&self) -> Vec<DataCategory> {
        vec![category("game_history")]
    }
    async fn export(&self, subject: &SubjectRef) -> Result<SubjectExport> {
        let n = self
            .records
            .lock()
            .unwrap()
            .iter()
            .filter(|(s, _)| *s == subject.subject)
            .count();
        let mut categories = BTreeMap::new();
        categories.insert("game_history".to_owned(), serde_json::json!(n));
        Ok(SubjectExport {
            source: self.name().into(),
            categories,
        })
    }
    async fn erase(&self, subject: &SubjectRef, _m: ErasureMethod) -> Result<ErasureOutcome> {
        self.records
            .lock()
            .unwrap()
            .retain(|(s, _)| *s != subject.subject);
        Ok(ErasureOutcome::default())
    }
    async fn restrict(&self, _s: &SubjectRef, _r: bool) -> Result<()> {
        Ok(())
    }
    async fn expire(
        &self,
        _t: &TenantId,
        category: &str,
        before: Timestamp,
        _m: ErasureMethod,
        keep: &[String],
    ) -> Result<Option<u64>> {
        if category != "game_history" {
            return Ok(None);
        }
        let mut records = self.records.lock().unwrap();
        let n = records.len();
        records.retain(|(s, at)| *at >= before || keep.contains(s));
        Ok(Some((n - records.len()) as u64))
    }
}

async fn retention_erases_what_is_past_age_and_nothing_held(b: &Backend) {
    let f = fixture(b, "retention").await;
    let p = &f.privacy;
    let aged = Arc::new(AgedSource::default());
    p.register(aged.clone()).unwrap();
    let now = b.clock.now();
    let days = |d: u64| now.saturating_sub(Duration::from_secs(d * 86_400));
    *aged.records.lock().unwrap() = vec![
        ("ana".into(), days(100)),
        ("ana".into(), days(10)),
        ("bob".into(), days(200)),
        ("cy".into(), days(91)),
    ];
    let e = p
        .retention()
        .put_policy(
            &f.t,
            RetentionPolicy {
                category: "game_history".into(),
                max_age_days: 0,
                action: ErasureMethod::Delete,
            },
            "admin",
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("max_age_days"));
    p.retention()
        .put_policy(
            &f.t,
            RetentionPolicy {
                category: "game_history".into(),
                max_age_days: 90,
                action: ErasureMethod::Delete,
            },
            "admin",
        )
        .await
        .unwrap();
    p.retention()
        .put_policy(
            &f.t,
            RetentionPolicy {
                category: "consent".into(),
                max_age_days: 30,
                action: ErasureMethod::Delete,
            },
            "admin",
        )
        .await
        .unwrap();
    // Bob is held.
    p.holds()
        .place(
            &f.t,
            NewHold {
                scope: HoldScope::Subject {
                    subject: "bob".into(),
                },
                reason: "claim".into(),
                case_reference: "K-1".into(),
                starts_at: None,
                ends_at: None,
            },
            "admin",
        )
        .await
        .unwrap();
    // A withdrawn consent 40 days old goes; a given one stays.
    p.consents()
        .put_purpose(&f.t, purpose("newsletter"), "admin")
        .await
        .unwrap();
    p.consents()
        .give(&f.t, "dee", give("newsletter"))
        .await
        .unwrap();
    p.consents()
        .withdraw(&f.t, "dee", "newsletter", "api")
        .await
        .unwrap();
    p.consents()
        .give(&f.t, "eve", give("newsletter"))
        .await
        .unwrap();
    b.clock.advance(Duration::from_secs(40 * 86_400));
    let run = p.retention().run(&f.t, "scheduler").await.unwrap();
    // ana's 100-day record and cy's 91-day one are now 140 and 131 days old; ana's
    // 10-day one is 50: kept. Bob's is held.
    let left: Vec<String> = aged
        .records
        .lock()
        .unwrap()
        .iter()
        .map(|(s, _)| s.clone())
        .collect();
    assert_eq!(left, ["ana", "bob"]);
    let games = run
        .categories
        .iter()
        .find(|c| c.category == "game_history")
        .unwrap();
    assert_eq!(games.sources, vec![("test.aged".to_owned(), 2)]);
    assert_eq!(games.subjects_kept, 1);
    let consent = run
        .categories
        .iter()
        .find(|c| c.category == "consent")
        .unwrap();
    assert_eq!(
        consent.sources,
        vec![("caas-privacy.records".to_owned(), 1)]
    );
    assert!(p.consents().list(&f.t, "dee").await.unwrap().is_empty());
    assert_eq!(p.consents().list(&f.t, "eve").await.unwrap().len(), 1);
    assert_eq!(run.erased(), 3);

    // A category hold stops the category's retention entirely.
    let hold = p
        .holds()
        .place(
            &f.t,
            NewHold {
                scope: HoldScope::Category {
                    category: "game_history".into(),
                },
                reason: "audit".into(),
                case_reference: "K-2".into(),
                starts_at: None,
                ends_at: None,
            },
            "admin",
        )
        .await
        .unwrap();
    b.clock.advance(Duration::from_secs(365 * 86_400));
    let run = p.retention().run(&f.t, "scheduler").await.unwrap();
    let games = run
        .categories
        .iter()
        .find(|c| c.category == "game_history")
        .unwrap();
    assert_eq!(games.skipped_by_holds, vec![hold.id]);
    assert_eq!(aged.records.lock().unwrap().len(), 2);
    assert_eq!(p.retention().runs(&f.t, 10).await.unwrap().len(), 2);
}

async fn breaches_have_a_72_hour_deadline(b: &Backend) {
    let f = fixture(b, "breach").await;
    let p = &f.privacy;
    let mut sub = b
        .events
        .subscribe(TopicFilter::any_tenant("privacy.breach_overdue").unwrap())
        .await
        .unwrap();
    let detected = b.clock.now().saturating_sub(Duration::from_secs(3_600));
    let new = NewBreach {
        detected_at: Some(detected),
        nature: "a laptop with an unencrypted export was stolen".into(),
        categories: vec!["account".into()],
        approx_subjects: 120,
        approx_records: 400,
        consequences: Some("phishing".into()),
        measures: None,
        high_risk: true,
    };
    let breach = p.breaches().record(&f.t, new.clone(), "dpo").await.unwrap();
    assert_eq!(
        breach.authority_deadline,
        detected.saturating_add(Duration::from_secs(72 * 3_600))
    );
    let mut future = new.clone();
    future.detected_at = Some(b.clock.now().saturating_add(Duration::from_secs(60)));
    assert_eq!(
        p.breaches()
            .record(&f.t, future, "dpo")
            .await
            .unwrap_err()
            .field(),
        Some("detected_at")
    );
    assert!(
        p.breaches()
            .announce_overdue(&f.t)
            .await
            .unwrap()
            .is_empty()
    );
    b.clock.advance(Duration::from_secs(72 * 3_600));
    assert!(
        p.breaches()
            .get(&f.t, &breach.id)
            .await
            .unwrap()
            .overdue(b.clock.now())
    );
    let overdue = p.breaches().announce_overdue(&f.t).await.unwrap();
    assert_eq!(overdue.len(), 1);
    let event = tokio::time::timeout(Duration::from_secs(5), sub.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&event.payload).contains(&breach.id));
    // Announced once.
    assert!(
        p.breaches()
            .announce_overdue(&f.t)
            .await
            .unwrap()
            .is_empty()
    );
    // Late notification needs the reasons for the delay.
    let late = BreachUpdate {
        authority_notified_at: Some(b.clock.now()),
        ..BreachUpdate::default()
    };
    assert_eq!(
        p.breaches()
            .update(&f.t, &breach.id, late.clone(), "dpo")
            .await
            .unwrap_err()
            .field(),
        Some("delay_reason")
    );
    let late = BreachUpdate {
        delay_reason: Some("forensics took 3 days".into()),
        subjects_notified_at: Some(b.clock.now()),
        ..late
    };
    let updated = p
        .breaches()
        .update(&f.t, &breach.id, late, "dpo")
        .await
        .unwrap();
    assert!(!updated.overdue(b.clock.now()));
    assert!(updated.subjects_notified_at.is_some());
    assert_eq!(p.breaches().list(&f.t).await.unwrap().len(), 1);
}

async fn records_of_processing_list_every_source(b: &Backend) {
    let f = fixture(b, "ropa").await;
    let p = &f.privacy;
    p.register(Arc::new(RecordingDataSubjectSource::new(
        "test.accounts",
        vec![category("account")],
    )))
    .unwrap();
    p.consents()
        .put_purpose(&f.t, purpose("newsletter"), "admin")
        .await
        .unwrap();
    let empty = p.processing().export(&f.t).await.unwrap();
    assert_eq!(empty.records, ProcessingRecords::default());
    let names: Vec<&str> = empty.sources.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(
        names,
        [
            "caas-privacy.records",
            "caas-privacy.audit",
            "test.accounts"
        ]
    );
    let records: ProcessingRecords = serde_json::from_value(serde_json::json!({
        "controller": { "name": "Example GmbH", "contact": "privacy@example.com", "dpo": "dpo@example.com" },
        "activities": [{
            "name": "Accounts",
            "purposes": ["newsletter"],
            "subject_categories": ["customers"],
            "data_categories": ["account"],
            "recipients": ["hosting provider"],
            "retention": "until account deletion",
            "security_measures": "encryption at rest, access control, audit log"
        }]
    }))
    .unwrap();
    let saved = p
        .processing()
        .put(&f.t, records.clone(), "admin")
        .await
        .unwrap();
    assert_eq!(saved.records, records);
    assert_eq!(saved.purposes.len(), 1);
    assert!(saved.updated_at.is_some());
    let mut bad = records;
    bad.activities[0].purposes.clear();
    assert!(p.processing().put(&f.t, bad, "admin").await.is_err());
    assert_eq!(
        p.processing()
            .export(&f.t)
            .await
            .unwrap()
            .records
            .activities[0]
            .purposes,
        ["newsletter"]
    );
}

/// A source that fails its first erasure (a store that was down).
#[derive(Debug, Default)]
struct FlakySource {
    failed: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl DataSubjectSource for FlakySource {
    fn name(&self) -> &str {
        "test.flaky"
    }
    fn categories(&self) -> Vec<DataCategory> {
        vec![category("notes")]
    }
    async fn export(&self, _s: &SubjectRef) -> Result<SubjectExport> {
        Ok(SubjectExport::default())
    }
    async fn erase(&self, _s: &SubjectRef, _m: ErasureMethod) -> Result<ErasureOutcome> {
        if !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(caas_core::Error::unavailable("the notes store is down"));
        }
        Ok(ErasureOutcome {
            records: 2,
            retained: vec![],
        })
    }
    async fn restrict(&self, _s: &SubjectRef, _r: bool) -> Result<()> {
        Ok(())
    }
}

async fn an_interrupted_request_is_carried_out_again(b: &Backend) {
    let f = fixture(b, "retry").await;
    let p = &f.privacy;
    p.register(Arc::new(FlakySource::default())).unwrap();
    let r = p
        .requests()
        .submit(
            &f.t,
            "ana",
            NewRequest {
                kind: RequestKind::Erasure,
                method: None,
                details: None,
            },
            "ana",
        )
        .await
        .unwrap();
    p.requests()
        .verify(&f.t, &r.id, "admin", None)
        .await
        .unwrap();
    let e = p
        .requests()
        .approve(&f.t, &r.id, "admin")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert_eq!(
        p.requests().get(&f.t, &r.id).await.unwrap().state,
        RequestState::InProgress
    );
    let done = p.requests().approve(&f.t, &r.id, "admin").await.unwrap();
    assert_eq!(done.state, RequestState::Completed);
    let report = done.result.unwrap().erasure.unwrap();
    assert_eq!(
        report
            .sources
            .iter()
            .find(|s| s.source == "test.flaky")
            .unwrap()
            .records,
        2
    );
    assert!(
        p.requests().approve(&f.t, &r.id, "admin").await.is_err(),
        "completed is final"
    );
}

async fn restriction_and_objection(b: &Backend) {
    let f = fixture(b, "restrict").await;
    let p = &f.privacy;
    let accounts = Arc::new(RecordingDataSubjectSource::new(
        "test.accounts",
        vec![category("account")],
    ));
    p.register(accounts.clone()).unwrap();
    p.consents()
        .put_purpose(&f.t, purpose("newsletter"), "admin")
        .await
        .unwrap();
    p.consents()
        .put_purpose(&f.t, purpose("analytics"), "admin")
        .await
        .unwrap();
    p.consents()
        .give(&f.t, "ana", give("newsletter"))
        .await
        .unwrap();
    p.consents()
        .give(&f.t, "ana", give("analytics"))
        .await
        .unwrap();
    let run = |kind| async move {
        let r = p
            .requests()
            .submit(
                &f.t,
                "ana",
                NewRequest {
                    kind,
                    method: None,
                    details: None,
                },
                "ana",
            )
            .await
            .unwrap();
        p.requests()
            .verify(&f.t, &r.id, "admin", None)
            .await
            .unwrap();
        p.requests()
            .approve(&f.t, &r.id, "admin")
            .await
            .unwrap()
            .result
            .unwrap()
    };
    let objection = run(RequestKind::Objection).await;
    let mut withdrawn = objection.consents_withdrawn.unwrap();
    withdrawn.sort();
    assert_eq!(withdrawn, ["analytics", "newsletter"]);
    assert!(
        !p.consents()
            .has_consent(&f.t, "ana", "newsletter")
            .await
            .unwrap()
    );
    let ana = SubjectRef::new(f.t, "ana");
    assert!(
        !accounts.is_restricted(&ana).unwrap(),
        "objection does not restrict"
    );
    let restriction = run(RequestKind::Restriction).await;
    assert!(
        restriction
            .restricted
            .unwrap()
            .contains(&"test.accounts".to_owned())
    );
    assert!(accounts.is_restricted(&ana).unwrap());
}

/// Each store is built from the parts it needs, without a `Privacy`: here
/// consents, holds, retention and requests over a registry of one source,
/// with no audit sink and no event bus.
async fn stores_work_on_their_own(b: &Backend) {
    let f = fixture(b, "stores").await;
    let parts = PrivacyParts {
        db: b.sql().clone(),
        keys: f.keys.clone(),
        clock: b.shared_clock(),
        events: None,
        audit: None,
    };
    let consents = Consents::new(&parts);
    consents
        .put_purpose(&f.t, purpose("newsletter"), "admin")
        .await
        .unwrap();
    consents
        .give(&f.t, "ana", give("newsletter"))
        .await
        .unwrap();
    assert!(
        consents
            .has_consent(&f.t, "ana", "newsletter")
            .await
            .unwrap()
    );

    let sources = SourceRegistry::new();
    let orders = Arc::new(RecordingDataSubjectSource::new(
        "test.orders",
        vec![category("orders")],
    ));
    sources.register(orders.clone()).unwrap();
    let holds = Holds::new(&parts);
    let hold = NewHold {
        scope: HoldScope::Category {
            category: "orders".into(),
        },
        reason: "tax records".into(),
        case_reference: "TAX-1".into(),
        starts_at: None,
        ends_at: None,
    };
    holds.place(&f.t, hold, "dpo").await.unwrap();
    assert_eq!(holds.in_force(&f.t).await.unwrap().len(), 1);

    let retention = Retention::new(&parts, sources.clone(), holds.clone());
    let policy = RetentionPolicy {
        category: "orders".into(),
        max_age_days: 30,
        action: ErasureMethod::Delete,
    };
    retention.put_policy(&f.t, policy, "dpo").await.unwrap();
    let run = retention.run(&f.t, "dpo").await.unwrap();
    assert_eq!(run.categories[0].skipped_by_holds.len(), 1);

    let requests = Requests::new(&parts, sources, holds, consents.clone());
    let new = NewRequest {
        kind: RequestKind::Objection,
        method: None,
        details: None,
    };
    let r = requests.submit(&f.t, "ana", new, "ana").await.unwrap();
    requests.verify(&f.t, &r.id, "dpo", None).await.unwrap();
    let done = requests.approve(&f.t, &r.id, "dpo").await.unwrap();
    assert_eq!(done.state, RequestState::Completed);
    assert!(
        !consents
            .has_consent(&f.t, "ana", "newsletter")
            .await
            .unwrap()
    );
    // Nothing was audited: the stores were given no sink.
    assert_eq!(f.log.size(&f.t).await.unwrap(), 0);
}
