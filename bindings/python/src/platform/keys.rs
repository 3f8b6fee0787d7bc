//! `platform.keys`: data sealed with the tenant's keys, or with a data
//! subject's own key so erasing the subject is destroying one key.

use caas::Platform;
use caas::crypto::KeyManager;
use pyo3::prelude::*;

use super::Tenant;
use crate::convert::Bytes;

/// `platform.keys`.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Keys {
    pub(crate) platform: Platform,
}

crate::platform::methods!(Keys {
    /// Seals `plaintext` for `purpose` (an identifier such as `notes`)
    /// with the tenant's key — or, with `subject`, with that data subject's
    /// own key (created on first use).
    [tenant, purpose, plaintext, *, subject = None]
    fn seal / aseal(this, tenant: Tenant, purpose: String, plaintext: Vec<u8>, subject: Option<String>) -> Bytes {
        let plaintext = zeroize::Zeroizing::new(plaintext);
        let sealed = match subject {
            Some(s) => this.keys.encrypt_for_subject(&tenant.inner.id, &s, &purpose, &plaintext).await?,
            None => this.keys.encrypt(&tenant.inner.id, &purpose, &plaintext).await?,
        };
        Ok(Bytes(sealed))
    }

    /// Opens what `seal` sealed for the same tenant, purpose (and
    /// subject). Tampered data, another purpose or a shredded subject
    /// raise.
    [tenant, purpose, sealed, *, subject = None]
    fn open / aopen(this, tenant: Tenant, purpose: String, sealed: Vec<u8>, subject: Option<String>) -> Bytes {
        let plain = match subject {
            Some(s) => this.keys.decrypt_for_subject(&tenant.inner.id, &s, &purpose, &sealed).await?,
            None => this.keys.decrypt(&tenant.inner.id, &purpose, &sealed).await?,
        };
        Ok(Bytes(plain.to_vec()))
    }

    /// Destroys the subject's key: everything sealed for them is gone.
    [tenant, subject]
    fn shred / ashred(this, tenant: Tenant, subject: String) -> () {
        this.keys.shred(&tenant.inner.id, &subject).await
    }

    /// Makes a new tenant key version current; answers its number.
    [tenant]
    fn rotate / arotate(this, tenant: Tenant) -> u32 {
        this.keys.rotate_tenant_key(&tenant.inner.id).await
    }
});
