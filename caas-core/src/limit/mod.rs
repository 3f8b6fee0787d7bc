//! Rate limits and quotas, shared across instances through the [`KvStore`](crate::KvStore).

mod gcra;
mod quota;

pub use self::gcra::{RateLimit, RateLimitDecision, RateLimiter};
pub use self::quota::{Period, Quota, QuotaUsage, UsageMeter};
