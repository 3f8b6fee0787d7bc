//! The one atomic step of the GCRA rate limiter, as a key-value operation.
//!
//! [`RateLimiter`](crate::RateLimiter) does the arithmetic around it; a
//! backend only has to apply this step atomically. The default does it with
//! compare-and-set (two round trips); Redis overrides it with a script (one).

use crate::{Error, KvKey, KvStore, Result};

/// Compare-and-set attempts before giving up under contention.
const MAX_ATTEMPTS: usize = 16;

/// One GCRA step, all times in microseconds since the unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcraStep {
    /// The current time.
    pub now_us: i64,
    /// The emission interval: microseconds per request at the sustained rate.
    pub emission_us: i64,
    /// The burst tolerance: how far the arrival time may run ahead of now.
    pub tolerance_us: i64,
    /// Requests this one counts as.
    pub cost: u32,
}

impl GcraStep {
    /// The new theoretical arrival time if the request is allowed.
    pub fn next_tat(&self, tat_us: i64) -> i64 {
        tat_us.saturating_add(self.emission_us.saturating_mul(i64::from(self.cost)))
    }

    /// Whether a request arriving with stored arrival time `tat_us` is allowed.
    pub fn allows(&self, tat_us: i64) -> bool {
        self.next_tat(tat_us).saturating_sub(self.tolerance_us) <= self.now_us
    }
}

/// The outcome of a [`GcraStep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcraOutcome {
    /// Whether the request was allowed (and the new arrival time stored).
    pub allowed: bool,
    /// The arrival time before the step, never earlier than `now_us`.
    pub tat_us: i64,
}

/// Applies `step` with `get` and `compare_and_set`; the default of
/// [`KvStore::gcra`].
pub(crate) async fn gcra_by_compare_and_set<K: KvStore + ?Sized>(
    kv: &K,
    key: &KvKey,
    step: &GcraStep,
) -> Result<GcraOutcome> {
    for _ in 0..MAX_ATTEMPTS {
        let stored = kv.get(key).await?;
        let tat = stored
            .as_deref()
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(step.now_us)
            .max(step.now_us);
        if !step.allows(tat) {
            return Ok(GcraOutcome {
                allowed: false,
                tat_us: tat,
            });
        }
        let next = step.next_tat(tat);
        let ttl = ttl_until(next, step.now_us);
        if kv
            .compare_and_set(
                key,
                stored.as_deref(),
                next.to_string().as_bytes(),
                Some(ttl),
            )
            .await?
        {
            return Ok(GcraOutcome {
                allowed: true,
                tat_us: tat,
            });
        }
    }
    Err(Error::unavailable(
        "the rate limiter is under heavy contention; retry",
    ))
}

/// The stored arrival time is useless once it is in the past: expire it then
/// (rounded up to whole milliseconds, at least one).
pub(crate) fn ttl_until(tat_us: i64, now_us: i64) -> std::time::Duration {
    let us = u64::try_from(tat_us.saturating_sub(now_us)).unwrap_or(0);
    std::time::Duration::from_millis(us.div_ceil(1000).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_allows_up_to_the_tolerance() {
        // 3 per second: emission 333_333 µs, tolerance 999_999 µs.
        let step = GcraStep {
            now_us: 10_000_000,
            emission_us: 333_333,
            tolerance_us: 999_999,
            cost: 1,
        };
        assert!(step.allows(step.now_us));
        assert!(
            step.allows(step.now_us + 666_666),
            "third request of the burst"
        );
        assert!(!step.allows(step.now_us + 999_999), "fourth is refused");
        assert_eq!(step.next_tat(step.now_us), 10_333_333);
    }

    #[test]
    fn ttls_round_up_to_whole_milliseconds() {
        assert_eq!(ttl_until(1_000, 0), std::time::Duration::from_millis(1));
        assert_eq!(ttl_until(1_001, 0), std::time::Duration::from_millis(2));
        assert_eq!(ttl_until(0, 5), std::time::Duration::from_millis(1));
    }
}
