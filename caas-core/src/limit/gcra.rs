//! A GCRA rate limiter whose state lives in a [`KvStore`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::kv::{GcraStep, SharedKvStore};
use crate::validate::truncate;
use crate::{Error, KvKey, Result, SharedClock};

/// `limit` requests per `period`, of which all may come in one burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    limit: u32,
    period: Duration,
}

impl RateLimit {
    /// `limit` (≥ 1) requests per `period` (≥ 1 ms, ≤ 1 day).
    pub fn new(limit: u32, period: Duration) -> Result<Self> {
        if limit == 0 {
            return Err(Error::invalid_input(
                "a rate limit must allow at least one request",
            ));
        }
        if period < Duration::from_millis(1) || period > Duration::from_secs(86_400) {
            return Err(Error::invalid_input(
                "a rate limit period must be between 1 ms and 1 day",
            ));
        }
        Ok(RateLimit { limit, period })
    }

    /// Requests allowed per period.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Microseconds between requests at the sustained rate (at least 1).
    fn emission_interval_us(&self) -> i64 {
        let period_us = i64::try_from(self.period.as_micros()).unwrap_or(i64::MAX);
        (period_us / i64::from(self.limit)).max(1)
    }
}

impl FromStr for RateLimit {
    type Err = Error;

    /// Parses `N/unit` with unit `s`, `sec`, `second`, `m`, `min`, `minute`,
    /// `h`, `hour` or `d`, `day`: e.g. `600/min`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid_input(format!(
                "rate limit `{}` must look like `600/min` (units: s, min, h, day)",
                truncate(s)
            ))
        };
        let (n, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let limit: u32 = n.trim().parse().map_err(|_| bad())?;
        let period = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            "d" | "day" => Duration::from_secs(86_400),
            _ => return Err(bad()),
        };
        RateLimit::new(limit, period)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.period.as_secs() {
            1 if self.period.subsec_nanos() == 0 => write!(f, "{}/s", self.limit),
            60 if self.period.subsec_nanos() == 0 => write!(f, "{}/min", self.limit),
            3600 if self.period.subsec_nanos() == 0 => write!(f, "{}/h", self.limit),
            86_400 if self.period.subsec_nanos() == 0 => write!(f, "{}/day", self.limit),
            _ => write!(f, "{}/{}ms", self.limit, self.period.as_millis()),
        }
    }
}

/// The outcome of one [`RateLimiter::check`], with what the IETF
/// `RateLimit` headers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitDecision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The limit applied.
    pub limit: u32,
    /// Requests still allowed right now.
    pub remaining: u32,
    /// Until the limiter is back to a full burst.
    pub reset_after: Duration,
    /// For a refused request, when the next one would be allowed.
    pub retry_after: Option<Duration>,
}

impl RateLimitDecision {
    /// `Ok` if allowed; otherwise a `RateLimited` error with `retry_after`.
    pub fn into_result(self) -> Result<Self> {
        if self.allowed {
            return Ok(self);
        }
        let e = Error::new(
            crate::ErrorKind::RateLimited,
            format!(
                "rate limit of {} requests exceeded; retry later",
                self.limit
            ),
        );
        Err(match self.retry_after {
            Some(after) => e.with_retry_after(after),
            None => e,
        })
    }
}

/// The generic cell rate algorithm (GCRA) over a [`KvStore`](crate::KvStore).
///
/// The only state per key is the theoretical arrival time, updated in one
/// atomic [`KvStore::gcra`](crate::KvStore::gcra) step (a script on Redis),
/// so every server instance on one Redis shares the limit.
/// Instances' clocks should agree to within a small part of the period (NTP).
#[derive(Debug, Clone)]
pub struct RateLimiter {
    kv: SharedKvStore,
    clock: SharedClock,
}

impl RateLimiter {
    /// A limiter keeping its state in `kv`.
    pub fn new(kv: SharedKvStore, clock: SharedClock) -> Self {
        RateLimiter { kv, clock }
    }

    /// Counts one request against `limit` for `key`.
    pub async fn check(&self, key: &KvKey, limit: &RateLimit) -> Result<RateLimitDecision> {
        self.check_n(key, limit, 1).await
    }

    /// Counts a request of weight `cost` (1..=limit) against `limit` for `key`.
    /// A refused request is not counted.
    pub async fn check_n(
        &self,
        key: &KvKey,
        limit: &RateLimit,
        cost: u32,
    ) -> Result<RateLimitDecision> {
        if cost == 0 || cost > limit.limit {
            return Err(Error::invalid_input(format!(
                "a request cost of {cost} cannot fit a limit of {}",
                limit.limit
            )));
        }
        let emission = limit.emission_interval_us();
        let step = GcraStep {
            now_us: self.clock.now().as_millis().saturating_mul(1000),
            emission_us: emission,
            tolerance_us: emission.saturating_mul(i64::from(limit.limit)),
            cost,
        };
        let outcome = self.kv.gcra(key, &step).await?;
        let now = step.now_us;
        if !outcome.allowed {
            let allow_at = step.next_tat(outcome.tat_us) - step.tolerance_us;
            return Ok(RateLimitDecision {
                allowed: false,
                limit: limit.limit,
                remaining: 0,
                reset_after: micros(outcome.tat_us - now),
                retry_after: Some(micros(allow_at - now).max(Duration::from_millis(1))),
            });
        }
        let next = step.next_tat(outcome.tat_us);
        let remaining = (now - (next - step.tolerance_us)) / emission;
        Ok(RateLimitDecision {
            allowed: true,
            limit: limit.limit,
            remaining: u32::try_from(remaining)
                .unwrap_or(u32::MAX)
                .min(limit.limit),
            reset_after: micros(next - now),
            retry_after: None,
        })
    }
}

fn micros(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_print() {
        for (s, shown) in [
            ("600/min", "600/min"),
            ("5/s", "5/s"),
            ("10/hour", "10/h"),
            ("1/d", "1/day"),
        ] {
            assert_eq!(s.parse::<RateLimit>().unwrap().to_string(), shown);
        }
        for bad in ["", "10", "x/min", "0/min", "10/week", "-1/s"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn emission_interval_never_reaches_zero() {
        let l = RateLimit::new(u32::MAX, Duration::from_millis(1)).unwrap();
        assert_eq!(l.emission_interval_us(), 1);
    }
}
