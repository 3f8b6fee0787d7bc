//! Users per tenant: email and username unique case-insensitively, a status
//! that gates login, free attributes, and the password hash (argon2id PHC
//! string, never returned by the API).

mod model;
mod store;

pub use self::model::{
    MAX_ATTRIBUTES, NewUser, User, UserStatus, UserUpdate, email as check_email,
};
pub use self::store::{Credentials, SqlUserStore, UserStore};
