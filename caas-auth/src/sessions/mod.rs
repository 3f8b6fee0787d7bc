//! Login sessions: opened at login with a device [`Fingerprint`], ended by
//! idle and absolute timeouts, logout or termination (one, all but the
//! current, all). Ending a session revokes its access tokens at once.

mod model;
mod store;

pub use self::model::{Fingerprint, NewSession, Session, SessionPolicy};
pub use self::store::{EndReason, MAX_METADATA, SessionStore};
