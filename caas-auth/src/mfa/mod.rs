//! Multi-factor authentication: TOTP ([`Totp`], RFC 6238) and backup codes
//! kept per user by [`MfaStore`]; the login's pending second step
//! ([`Challenges`]) and devices that may skip it ([`TrustedDevices`]).

mod challenge;
mod store;
mod totp;
mod trusted;

pub use self::challenge::{CHALLENGE_TTL, Challenges, MAX_ATTEMPTS, Pending};
pub use self::store::{BACKUP_CODES, MfaStatus, MfaStore, SecondFactor};
pub use self::totp::{Totp, TotpAlgorithm};
pub use self::trusted::TrustedDevices;
