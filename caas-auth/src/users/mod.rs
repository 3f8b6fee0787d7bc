//! Users per tenant: email and username unique case-insensitively, a status
//! that gates login, free attributes, and the password hash (argon2id PHC
//! string, never returned by the API).
//!
//! Identifiers are normalized before they are compared: emails and
//! usernames to Unicode NFC, an email's domain to its UTS 46 ASCII form (so
//! `bücher.example` and `xn--bcher-kva.example` are one domain). A username
//! also has a UTS 39 skeleton, unique per tenant too, so a name that only
//! looks like a taken one (`pаypal` with a Cyrillic `а`, `ｐａｙｐａｌ`, `rnodern`
//! beside `modern`) is a 409 naming `username`. Rows stored before these
//! rules are brought up to date by the store, per tenant, on its first
//! write there (or a login that finds nobody).

mod model;
mod store;

pub use self::model::{
    MAX_ATTRIBUTES, NewUser, User, UserStatus, UserUpdate, email as check_email,
};
pub use self::store::{Credentials, SqlUserStore, UserStore};
