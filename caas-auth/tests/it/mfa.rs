//! `MfaStore`: enrollment, confirmation, replay protection, backup codes.

use std::sync::Arc;
use std::time::Duration;

use caas_auth::mfa::{MfaStore, SecondFactor, Totp, TotpAlgorithm};
use caas_core::testkit::Backend;
use caas_core::{Clock, ErrorKind};
use caas_crypto::{KeyManager, MasterKey, SqlKeyManager};
use zeroize::Zeroizing;

use crate::tenant;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [totp_and_backup_codes_work_once_each],
}

async fn totp_and_backup_codes_work_once_each(b: &Backend) {
    let t = tenant(b, "acme").await.id;
    let keys: Arc<dyn KeyManager> = Arc::new(SqlKeyManager::new(
        b.sql().clone(),
        MasterKey::generate(),
        b.shared_clock(),
        None,
    ));
    let mfa = MfaStore::new(b.sql().clone(), keys.clone(), b.shared_clock());
    let enrolled = mfa.enroll(&t, "ana").await.unwrap();
    // The client (an authenticator app) knows the secret from the URI.
    let app = Totp::new(
        Zeroizing::new(enrolled.secret().to_vec()),
        TotpAlgorithm::Sha1,
        6,
        30,
    );
    let now = || b.clock.now().as_secs();
    assert!(!mfa.status(&t, "ana").await.unwrap().totp, "unconfirmed");
    let wrong = if app.code_at(now()).unwrap() == "000000" {
        "111111"
    } else {
        "000000"
    };
    let e = mfa.confirm(&t, "ana", wrong).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidInput, Some("code"))
    );
    let backup = mfa
        .confirm(&t, "ana", &app.code_at(now()).unwrap())
        .await
        .unwrap();
    assert_eq!(backup.len(), 10);
    assert!(
        backup
            .iter()
            .all(|c| c.expose().len() == 19 && c.expose().matches('-').count() == 3)
    );
    // The code used to confirm is spent; the next step's code works once.
    assert_eq!(
        mfa.verify(&t, "ana", &app.code_at(now()).unwrap())
            .await
            .unwrap(),
        None
    );
    b.clock.advance(Duration::from_secs(30));
    let code = app.code_at(now()).unwrap();
    assert_eq!(
        mfa.verify(&t, "ana", &code).await.unwrap(),
        Some(SecondFactor::Totp)
    );
    assert_eq!(mfa.verify(&t, "ana", &code).await.unwrap(), None, "replay");
    // Backup codes: once each, any case and grouping.
    let first = backup[0].expose().to_uppercase().replace('-', " ");
    assert_eq!(
        mfa.verify(&t, "ana", &first).await.unwrap(),
        Some(SecondFactor::BackupCode)
    );
    assert_eq!(
        mfa.verify(&t, "ana", backup[0].expose()).await.unwrap(),
        None
    );
    assert_eq!(
        mfa.verify(&t, "bo", backup[1].expose()).await.unwrap(),
        None,
        "per user"
    );
    let status = mfa.status(&t, "ana").await.unwrap();
    assert_eq!((status.totp, status.backup_codes_left), (true, 9));
    // Regenerating replaces them all.
    let again = mfa.regenerate_backup_codes(&t, "ana").await.unwrap();
    assert_eq!(
        mfa.verify(&t, "ana", backup[1].expose()).await.unwrap(),
        None
    );
    assert_eq!(
        mfa.verify(&t, "ana", again[1].expose()).await.unwrap(),
        Some(SecondFactor::BackupCode)
    );
    // Enrolling again needs a removal first.
    assert_eq!(
        mfa.enroll(&t, "ana").await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
    mfa.remove(&t, "ana").await.unwrap();
    assert_eq!(mfa.status(&t, "ana").await.unwrap().backup_codes_left, 0);
    b.clock.advance(Duration::from_secs(30));
    assert_eq!(
        mfa.verify(&t, "ana", &app.code_at(now()).unwrap())
            .await
            .unwrap(),
        None
    );
    // Shredding the user destroys the secret.
    let fresh = mfa.enroll(&t, "bo").await.unwrap();
    keys.shred(&t, "bo").await.unwrap();
    let e = mfa
        .confirm(&t, "bo", &fresh.code_at(now()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "erased");
}
