//! Multi-factor authentication: TOTP ([`Totp`], RFC 6238) and backup codes,
//! kept per user by [`MfaStore`].

mod store;
mod totp;

pub use self::store::{BACKUP_CODES, MfaStatus, MfaStore, SecondFactor};
pub use self::totp::{Totp, TotpAlgorithm};
