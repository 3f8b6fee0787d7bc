//! The game CAAS grew from: KSP (rock, scissors, paper) and KSPOV (with
//! fire and water).
//!
//! Not built yet: this crate will hold rule sets as validated data, matches
//! (KSP to 7 decisive rounds, KSPOV to 15), computer and human opponents,
//! live state in the `caas_core::KvStore` and per-player history. It depends
//! only on `caas-core`; see DESIGN.md.
