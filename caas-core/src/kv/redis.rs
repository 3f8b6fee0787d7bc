//! The Redis key-value store, shared by every server instance.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use super::{GcraOutcome, GcraStep, KvStore, ttl_millis};
use crate::redis_conn::{RedisConfig, from_redis};
use crate::{KvKey, Namespace, Result};

/// Sets KEYS[1] to ARGV[3] (expiring after ARGV[4] ms when > 0) only if it
/// holds ARGV[2], or — when ARGV[1] is `1` — only if it is absent.
static COMPARE_AND_SET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local current = redis.call('GET', KEYS[1])
        if ARGV[1] == '1' then
            if current then return 0 end
        elseif current ~= ARGV[2] then
            return 0
        end
        if tonumber(ARGV[4]) > 0 then
            redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
        else
            redis.call('SET', KEYS[1], ARGV[3])
        end
        return 1
        ",
    )
});

/// Adds ARGV[1] to KEYS[1]; gives it an expiry of ARGV[2] ms if it has none.
static INCR_WITH_TTL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local value = redis.call('INCRBY', KEYS[1], ARGV[1])
        if tonumber(ARGV[2]) > 0 and redis.call('PTTL', KEYS[1]) == -1 then
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return value
        ",
    )
});

/// One GCRA step (see `kv/gcra.rs`) in one round trip. KEYS[1] holds the
/// arrival time in µs; ARGV: now, emission interval, tolerance (µs), cost.
/// Returns {allowed, arrival time before the step}. Microsecond times stay
/// below 2^53, so Lua's doubles hold them exactly.
static GCRA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local now = tonumber(ARGV[1])
        local emission = tonumber(ARGV[2])
        local tolerance = tonumber(ARGV[3])
        local cost = tonumber(ARGV[4])
        local tat = tonumber(redis.call('GET', KEYS[1]) or '') or now
        if tat < now then tat = now end
        local next_tat = tat + emission * cost
        if next_tat - tolerance > now then
            return {0, string.format('%.0f', tat)}
        end
        local ttl = math.max(1, math.ceil((next_tat - now) / 1000))
        redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', ttl)
        return {1, string.format('%.0f', tat)}
        ",
    )
});

/// Keys deleted per `UNLINK` during [`KvStore::delete_prefix`].
const SCAN_BATCH: usize = 500;

/// A [`KvStore`] in Redis. Keys are `prefix:{tag}:name` (see [`KvKey::render`]).
///
/// The connection re-establishes itself after Redis restarts; calls made
/// while Redis is down fail fast with `Unavailable`. Expiry follows Redis's
/// clock, not the injected one.
#[derive(Clone)]
pub struct RedisKvStore {
    conn: ConnectionManager,
    config: RedisConfig,
}

impl std::fmt::Debug for RedisKvStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisKvStore")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RedisKvStore {
    /// Connects; `Unavailable` if Redis does not answer now.
    pub async fn connect(config: RedisConfig) -> Result<Self> {
        let conn = config.connect().await?;
        Ok(RedisKvStore { conn, config })
    }

    /// The full Redis key for `key` (for operators and tests).
    pub fn redis_key(&self, key: &KvKey) -> String {
        key.render(self.config.prefix())
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

/// Escapes Redis glob metacharacters so a prefix matches literally.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[async_trait]
impl KvStore for RedisKvStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> Result<()> {
        let mut conn = self.conn();
        let ping = redis::cmd("PING");
        let fut = ping.query_async::<String>(&mut conn);
        match tokio::time::timeout(self.config.timeout(), fut).await {
            Ok(r) => r.map(|_| ()).map_err(from_redis),
            Err(_) => Err(crate::Error::unavailable(
                "Redis did not answer PING in time",
            )),
        }
    }

    async fn get(&self, key: &KvKey) -> Result<Option<Vec<u8>>> {
        self.conn()
            .get::<_, Option<Vec<u8>>>(self.redis_key(key))
            .await
            .map_err(from_redis)
    }

    async fn set(&self, key: &KvKey, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.redis_key(key)).arg(value);
        if let Some(ms) = ttl_millis(ttl)? {
            cmd.arg("PX").arg(ms);
        }
        cmd.query_async::<()>(&mut self.conn())
            .await
            .map_err(from_redis)
    }

    async fn set_if_absent(
        &self,
        key: &KvKey,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.redis_key(key)).arg(value).arg("NX");
        if let Some(ms) = ttl_millis(ttl)? {
            cmd.arg("PX").arg(ms);
        }
        cmd.query_async::<Option<String>>(&mut self.conn())
            .await
            .map(|r| r.is_some())
            .map_err(from_redis)
    }

    async fn compare_and_set(
        &self,
        key: &KvKey,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let ms = ttl_millis(ttl)?.unwrap_or(0);
        COMPARE_AND_SET
            .key(self.redis_key(key))
            .arg(if expected.is_none() { "1" } else { "0" })
            .arg(expected.unwrap_or_default())
            .arg(value)
            .arg(ms)
            .invoke_async::<i64>(&mut self.conn())
            .await
            .map(|r| r == 1)
            .map_err(from_redis)
    }

    async fn incr(&self, key: &KvKey, delta: i64, ttl: Option<Duration>) -> Result<i64> {
        let ms = ttl_millis(ttl)?.unwrap_or(0);
        INCR_WITH_TTL
            .key(self.redis_key(key))
            .arg(delta)
            .arg(ms)
            .invoke_async::<i64>(&mut self.conn())
            .await
            .map_err(from_redis)
    }

    async fn delete(&self, key: &KvKey) -> Result<bool> {
        self.conn()
            .del::<_, i64>(self.redis_key(key))
            .await
            .map(|n| n > 0)
            .map_err(from_redis)
    }

    async fn gcra(&self, key: &KvKey, step: &GcraStep) -> Result<GcraOutcome> {
        let (allowed, tat): (i64, String) = GCRA
            .key(self.redis_key(key))
            .arg(step.now_us)
            .arg(step.emission_us)
            .arg(step.tolerance_us)
            .arg(step.cost)
            .invoke_async(&mut self.conn())
            .await
            .map_err(from_redis)?;
        let tat_us = tat
            .parse()
            .map_err(|_| crate::Error::internal(format!("the GCRA script returned `{tat}`")))?;
        Ok(GcraOutcome {
            allowed: allowed == 1,
            tat_us,
        })
    }

    async fn delete_prefix(&self, ns: &Namespace, prefix: &str) -> Result<u64> {
        let pattern = format!(
            "{}*",
            glob_escape(&format!(
                "{}:{{{}}}:{prefix}",
                self.config.prefix(),
                ns.tag()
            ))
        );
        unlink_matching(&mut self.conn(), &pattern).await
    }
}

impl RedisKvStore {
    /// Deletes every key under the configured prefix, in every namespace.
    #[cfg(feature = "testkit")]
    pub(crate) async fn purge_prefix(config: &RedisConfig) -> Result<u64> {
        let mut conn = config.connect().await?;
        unlink_matching(&mut conn, &format!("{}:*", glob_escape(config.prefix()))).await
    }
}

/// Deletes the keys matching a glob `pattern`, a batch at a time.
async fn unlink_matching(conn: &mut ConnectionManager, pattern: &str) -> Result<u64> {
    let mut cursor: u64 = 0;
    let mut deleted: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(SCAN_BATCH)
            .query_async(conn)
            .await
            .map_err(from_redis)?;
        if !keys.is_empty() {
            let n: u64 = redis::cmd("UNLINK")
                .arg(&keys)
                .query_async(conn)
                .await
                .map_err(from_redis)?;
            deleted += n;
        }
        if next == 0 {
            return Ok(deleted);
        }
        cursor = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_metacharacters_are_escaped() {
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
        assert_eq!(glob_escape("caas:{t:1}:x"), "caas:{t:1}:x");
    }
}
