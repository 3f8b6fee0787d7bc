//! Routes. Handlers parse, call one library function, and serialize.

pub mod health;
pub mod root;
