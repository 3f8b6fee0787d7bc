//! Passwords: argon2id hashing with rehash on login ([`PasswordHasher`]) and
//! the rules a new password must meet ([`PasswordPolicy`]).

mod hasher;
mod policy;

pub use self::hasher::{HashParams, PasswordHasher, Verified};
pub use self::policy::PasswordPolicy;
