//! [`KvStore`]: shared ephemeral state — caches, counters, limits, live games.

mod gcra;
mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use self::gcra::{GcraOutcome, GcraStep};
pub use self::memory::MemoryKvStore;
#[cfg(feature = "redis")]
pub use self::redis::RedisKvStore;
use crate::{Error, KvKey, Namespace, Result};

/// Keys with values and optional expiry, partitioned by [`Namespace`].
///
/// Two implementations pass one conformance suite: [`MemoryKvStore`] (one
/// process; expiry follows the injected clock) and `RedisKvStore` (shared by
/// every server instance; reconnects by itself). Counters written by
/// [`incr`](KvStore::incr) are stored as decimal text, so [`get`](KvStore::get)
/// reads them as such.
#[async_trait]
pub trait KvStore: Send + Sync + Debug {
    /// `memory` or `redis`, for health reports.
    fn backend(&self) -> &'static str;

    /// Checks that the backend answers.
    async fn ping(&self) -> Result<()>;

    /// The value at `key`, unless absent or expired.
    async fn get(&self, key: &KvKey) -> Result<Option<Vec<u8>>>;

    /// Sets `key` to `value`, expiring after `ttl` (`None`: never).
    async fn set(&self, key: &KvKey, value: &[u8], ttl: Option<Duration>) -> Result<()>;

    /// Sets `key` only if it is absent; `true` if it was set.
    async fn set_if_absent(&self, key: &KvKey, value: &[u8], ttl: Option<Duration>)
    -> Result<bool>;

    /// Sets `key` to `value` only if it currently holds `expected`
    /// (`None`: only if absent); `true` if it was set. Atomic.
    async fn compare_and_set(
        &self,
        key: &KvKey,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool>;

    /// Adds `delta` to the integer at `key` (absent counts as 0) and returns
    /// the result. If the key has no expiry after the add, `ttl` becomes its
    /// expiry — so a counter's window starts with its first increment and is
    /// not extended by later ones. A non-integer value is `InvalidInput`.
    async fn incr(&self, key: &KvKey, delta: i64, ttl: Option<Duration>) -> Result<i64>;

    /// Deletes `key`; `true` if it existed.
    async fn delete(&self, key: &KvKey) -> Result<bool>;

    /// Deletes every key of `ns` whose name starts with `prefix` (all of the
    /// namespace's keys for an empty prefix); returns how many.
    async fn delete_prefix(&self, ns: &Namespace, prefix: &str) -> Result<u64>;

    /// Applies one step of the GCRA rate limiter to the arrival time stored
    /// at `key`, atomically; used by [`RateLimiter`](crate::RateLimiter).
    ///
    /// The default uses [`get`](KvStore::get) and
    /// [`compare_and_set`](KvStore::compare_and_set); backends that can do it
    /// in one round trip override it. The value is the arrival time in
    /// microseconds as decimal text, expiring when it falls into the past.
    async fn gcra(&self, key: &KvKey, step: &GcraStep) -> Result<GcraOutcome> {
        gcra::gcra_by_compare_and_set(self, key, step).await
    }
}

/// A shared key-value store handle.
pub type SharedKvStore = Arc<dyn KvStore>;

/// Checks a TTL and returns it in milliseconds (at least 1 ms).
pub(crate) fn ttl_millis(ttl: Option<Duration>) -> Result<Option<u64>> {
    match ttl {
        None => Ok(None),
        Some(d) if d < Duration::from_millis(1) => Err(Error::invalid_input(
            "a time-to-live must be at least one millisecond",
        )),
        Some(d) => Ok(Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))),
    }
}
