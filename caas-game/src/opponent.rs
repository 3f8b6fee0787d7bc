//! The computer opponent: it picks a weapon uniformly at random.
//!
//! [`OsChooser`] draws from the thread's generator, seeded from the
//! operating system; [`SeededChooser`] is reproducible, for tests and
//! simulations.

use std::fmt;
use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Picks one of `n` weapons.
pub trait Chooser: Send + Sync + fmt::Debug {
    /// A 0-based index below `n` (`n` ≥ 1), every index equally likely.
    fn choose(&self, n: usize) -> usize;
}

/// Uniform choices from the thread's OS-seeded generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsChooser;

impl Chooser for OsChooser {
    fn choose(&self, n: usize) -> usize {
        rand::rng().random_range(0..n.max(1))
    }
}

/// Uniform choices from a generator seeded with a fixed value.
pub struct SeededChooser(Mutex<StdRng>);

impl SeededChooser {
    /// A chooser whose choices follow from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        SeededChooser(Mutex::new(StdRng::seed_from_u64(seed)))
    }
}

impl fmt::Debug for SeededChooser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeededChooser")
    }
}

impl Chooser for SeededChooser {
    fn choose(&self, n: usize) -> usize {
        // A poisoned lock still holds a usable generator.
        let mut rng = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        rng.random_range(0..n.max(1))
    }
}
