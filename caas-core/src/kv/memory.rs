//! The in-process key-value store.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::{KvStore, ttl_millis};
use crate::{Error, KvKey, Namespace, Result, SharedClock, Timestamp};

/// Operations between sweeps of expired entries.
const SWEEP_EVERY: u64 = 4096;

/// A [`KvStore`] in process memory; expiry follows the injected clock.
///
/// For tests, embedded use and single-instance servers. Expired entries are
/// invisible at once and their memory is reclaimed by a sweep every few
/// thousand operations.
#[derive(Debug)]
pub struct MemoryKvStore {
    clock: SharedClock,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    entries: BTreeMap<(Namespace, String), Entry>,
    ops: u64,
}

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires_at: Option<Timestamp>,
}

impl Entry {
    fn live(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|t| t > now)
    }
}

impl MemoryKvStore {
    /// An empty store.
    pub fn new(clock: SharedClock) -> Self {
        MemoryKvStore {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State, Timestamp) -> Result<T>) -> Result<T> {
        let now = self.clock.now();
        let mut state = self
            .state
            .lock()
            .map_err(|_| Error::internal("key-value store lock poisoned"))?;
        state.ops += 1;
        if state.ops % SWEEP_EVERY == 0 {
            state.entries.retain(|_, e| e.live(now));
        }
        f(&mut state, now)
    }

    fn expiry(now: Timestamp, ttl: Option<Duration>) -> Result<Option<Timestamp>> {
        ttl_millis(ttl)?;
        Ok(ttl.map(|d| now.saturating_add(d)))
    }
}

fn map_key(key: &KvKey) -> (Namespace, String) {
    (*key.namespace(), key.name().to_owned())
}

impl State {
    fn live_value(&self, key: &(Namespace, String), now: Timestamp) -> Option<&Entry> {
        self.entries.get(key).filter(|e| e.live(now))
    }
}

#[async_trait]
impl KvStore for MemoryKvStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    async fn get(&self, key: &KvKey) -> Result<Option<Vec<u8>>> {
        let k = map_key(key);
        self.with_state(|s, now| Ok(s.live_value(&k, now).map(|e| e.value.clone())))
    }

    async fn set(&self, key: &KvKey, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let k = map_key(key);
        self.with_state(|s, now| {
            let expires_at = Self::expiry(now, ttl)?;
            s.entries.insert(
                k,
                Entry {
                    value: value.to_vec(),
                    expires_at,
                },
            );
            Ok(())
        })
    }

    async fn set_if_absent(
        &self,
        key: &KvKey,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        self.compare_and_set(key, None, value, ttl).await
    }

    async fn compare_and_set(
        &self,
        key: &KvKey,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let k = map_key(key);
        self.with_state(|s, now| {
            let expires_at = Self::expiry(now, ttl)?;
            let current = s.live_value(&k, now).map(|e| e.value.as_slice());
            if current != expected {
                return Ok(false);
            }
            s.entries.insert(
                k,
                Entry {
                    value: value.to_vec(),
                    expires_at,
                },
            );
            Ok(true)
        })
    }

    async fn incr(&self, key: &KvKey, delta: i64, ttl: Option<Duration>) -> Result<i64> {
        let k = map_key(key);
        self.with_state(|s, now| {
            let new_expiry = Self::expiry(now, ttl)?;
            let (current, expires_at) = match s.live_value(&k, now) {
                Some(e) => (parse_counter(&e.value, key)?, e.expires_at),
                None => (0, None),
            };
            let next = current.checked_add(delta).ok_or_else(|| {
                Error::invalid_input(format!("counter `{}` would overflow", key.name()))
            })?;
            s.entries.insert(
                k,
                Entry {
                    value: next.to_string().into_bytes(),
                    expires_at: expires_at.or(new_expiry),
                },
            );
            Ok(next)
        })
    }

    async fn delete(&self, key: &KvKey) -> Result<bool> {
        let k = map_key(key);
        self.with_state(|s, now| Ok(s.entries.remove(&k).is_some_and(|e| e.live(now))))
    }

    async fn delete_prefix(&self, ns: &Namespace, prefix: &str) -> Result<u64> {
        self.with_state(|s, now| {
            let doomed: Vec<(Namespace, String)> = s
                .entries
                .range((*ns, prefix.to_owned())..)
                .take_while(|((n, name), _)| n == ns && name.starts_with(prefix))
                .map(|(k, _)| k.clone())
                .collect();
            let mut live = 0;
            for k in doomed {
                if s.entries.remove(&k).is_some_and(|e| e.live(now)) {
                    live += 1;
                }
            }
            Ok(live)
        })
    }
}

fn parse_counter(value: &[u8], key: &KvKey) -> Result<i64> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            Error::invalid_input(format!("the value at `{}` is not an integer", key.name()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ManualClock, Namespace};

    #[tokio::test]
    async fn expired_entries_are_swept_from_memory() {
        let clock = ManualClock::shared(Timestamp::from_millis(0));
        let kv = MemoryKvStore::new(clock.clone());
        for i in 0..100 {
            let key = Namespace::Platform.key(&format!("k{i}")).unwrap();
            kv.set(&key, b"v", Some(Duration::from_secs(1)))
                .await
                .unwrap();
        }
        let kept = Namespace::Platform.key("kept").unwrap();
        kv.set(&kept, b"v", None).await.unwrap();
        clock.advance(Duration::from_secs(2));
        while kv.state.lock().unwrap().ops % SWEEP_EVERY != SWEEP_EVERY - 1 {
            kv.get(&kept).await.unwrap();
        }
        assert_eq!(kv.state.lock().unwrap().entries.len(), 101, "not swept yet");
        kv.get(&kept).await.unwrap();
        assert_eq!(
            kv.state.lock().unwrap().entries.len(),
            1,
            "only the live entry is left"
        );
    }
}
