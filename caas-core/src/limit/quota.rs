//! Per-tenant usage counters and quotas on a [`KvStore`](crate::KvStore).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::days_from_civil;
use crate::kv::SharedKvStore;
use crate::{Error, ErrorKind, Namespace, Result, SharedClock, TenantId, Timestamp};

/// A calendar window (UTC) that usage is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One clock minute.
    Minute,
    /// One clock hour.
    Hour,
    /// One UTC day.
    Day,
    /// One calendar month (UTC).
    Month,
}

impl Period {
    /// The periods every usage record is counted in.
    pub const RECORDED: [Period; 2] = [Period::Day, Period::Month];

    fn name(self) -> &'static str {
        match self {
            Period::Minute => "minute",
            Period::Hour => "hour",
            Period::Day => "day",
            Period::Month => "month",
        }
    }

    /// The label and end of the window containing `now`.
    fn window(self, now: Timestamp) -> (String, Timestamp) {
        let ms = now.as_millis();
        let (y, m, d) = now.civil_date();
        let floor = |unit: i64| ms - ms.rem_euclid(unit);
        match self {
            Period::Minute => {
                let start = floor(60_000);
                (format!("m{start}"), Timestamp::from_millis(start + 60_000))
            }
            Period::Hour => {
                let start = floor(3_600_000);
                (
                    format!("h{start}"),
                    Timestamp::from_millis(start + 3_600_000),
                )
            }
            Period::Day => (
                format!("{y:04}-{m:02}-{d:02}"),
                Timestamp::from_millis(floor(86_400_000) + 86_400_000),
            ),
            Period::Month => {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                let end = days_from_civil(ny, nm, 1) * 86_400_000;
                (format!("{y:04}-{m:02}"), Timestamp::from_millis(end))
            }
        }
    }
}

/// At most `limit` units of a metric per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// Units allowed per window.
    pub limit: u64,
    /// The window.
    pub period: Period,
}

/// Where a tenant stands against one quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuotaUsage {
    /// The quota.
    pub quota: Quota,
    /// Units used in the current window, including this request.
    pub used: u64,
    /// Units left in the current window.
    pub remaining: u64,
    /// When the current window ends.
    pub resets_at: Timestamp,
}

/// Counts per-tenant usage of named metrics and enforces quotas.
///
/// Counters live in the tenant's namespace of the [`KvStore`](crate::KvStore)
/// and expire one window after their own ends, so the previous window stays
/// readable. With Redis, every instance counts into the same counters.
#[derive(Debug, Clone)]
pub struct UsageMeter {
    kv: SharedKvStore,
    clock: SharedClock,
}

impl UsageMeter {
    /// A meter keeping its counters in `kv`.
    pub fn new(kv: SharedKvStore, clock: SharedClock) -> Self {
        UsageMeter { kv, clock }
    }

    /// Adds `amount` units of `metric` to the tenant's day and month counters.
    pub async fn record(&self, tenant: &TenantId, metric: &str, amount: u64) -> Result<()> {
        self.consume(tenant, metric, amount, &[]).await.map(|_| ())
    }

    /// Adds `amount` units unless that would exceed one of `quotas`.
    ///
    /// On success returns the standing against each quota. If a quota would
    /// be exceeded nothing is counted and the error is `QuotaExceeded` with
    /// `retry_after` set to the end of that quota's window. Under concurrent
    /// use a request near the limit may be refused spuriously, never admitted
    /// beyond it.
    pub async fn consume(
        &self,
        tenant: &TenantId,
        metric: &str,
        amount: u64,
        quotas: &[Quota],
    ) -> Result<Vec<QuotaUsage>> {
        check_metric(metric)?;
        let delta =
            i64::try_from(amount).map_err(|_| Error::invalid_input("usage amount is too large"))?;
        let now = self.clock.now();
        let mut periods: Vec<Period> = Period::RECORDED.to_vec();
        for q in quotas {
            if !periods.contains(&q.period) {
                periods.push(q.period);
            }
        }
        let ns = Namespace::Tenant(*tenant);
        let mut counted = Vec::with_capacity(periods.len());
        let mut totals = Vec::with_capacity(periods.len());
        for period in &periods {
            let (label, ends_at) = period.window(now);
            let key = ns.key(&format!("usage:{metric}:{}:{label}", period.name()))?;
            let window = ends_at.duration_since(now);
            let ttl = window + window_length(*period);
            let total = match self.kv.incr(&key, delta, Some(ttl)).await {
                Ok(total) => total,
                Err(e) => {
                    self.undo(&counted, delta).await;
                    return Err(e);
                }
            };
            counted.push(key);
            totals.push((*period, total, ends_at));
        }
        let mut usage = Vec::with_capacity(quotas.len());
        for quota in quotas {
            let Some(&(_, total, ends_at)) = totals.iter().find(|(p, _, _)| *p == quota.period)
            else {
                continue;
            };
            let used = u64::try_from(total).unwrap_or(0);
            if used > quota.limit {
                self.undo(&counted, delta).await;
                return Err(Error::new(
                    ErrorKind::QuotaExceeded,
                    format!(
                        "the {} quota of {} `{metric}` is used up",
                        quota.period.name(),
                        quota.limit
                    ),
                )
                .with_retry_after(ends_at.duration_since(now)));
            }
            usage.push(QuotaUsage {
                quota: *quota,
                used,
                remaining: quota.limit - used,
                resets_at: ends_at,
            });
        }
        Ok(usage)
    }

    /// Units of `metric` used in the current `period` window.
    pub async fn usage(&self, tenant: &TenantId, metric: &str, period: Period) -> Result<u64> {
        check_metric(metric)?;
        let (label, _) = period.window(self.clock.now());
        let key =
            Namespace::Tenant(*tenant).key(&format!("usage:{metric}:{}:{label}", period.name()))?;
        match self.kv.get(&key).await? {
            None => Ok(0),
            Some(v) => std::str::from_utf8(&v)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| Error::internal(format!("usage counter `{metric}` is corrupt"))),
        }
    }

    async fn undo(&self, keys: &[crate::KvKey], delta: i64) {
        for key in keys {
            if let Err(e) = self.kv.incr(key, -delta, None).await {
                tracing::warn!(error = %e, key = key.name(), "could not roll back a usage counter");
            }
        }
    }
}

fn window_length(period: Period) -> Duration {
    Duration::from_secs(match period {
        Period::Minute => 60,
        Period::Hour => 3600,
        Period::Day => 86_400,
        Period::Month => 31 * 86_400,
    })
}

fn check_metric(metric: &str) -> Result<()> {
    crate::validate::check_identifier(metric, "metric name", 64, &['.', '-', '_'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    #[test]
    fn windows_follow_the_utc_calendar() {
        // 2026-11-21T13:05:30Z
        let now = at(1_795_266_330_000);
        let (label, end) = Period::Day.window(now);
        assert_eq!(label, "2026-11-21");
        assert_eq!(end.to_string(), "2026-11-22T00:00:00.000Z");
        let (label, end) = Period::Month.window(now);
        assert_eq!(label, "2026-11");
        assert_eq!(end.to_string(), "2026-12-01T00:00:00.000Z");
        let (_, end) = Period::Hour.window(now);
        assert_eq!(end.to_string(), "2026-11-21T14:00:00.000Z");
        let (_, end) = Period::Minute.window(now);
        assert_eq!(end.to_string(), "2026-11-21T13:06:00.000Z");
    }

    #[test]
    fn december_rolls_into_the_next_year() {
        let now = Timestamp::parse_rfc3339("2026-12-31T23:59:59Z").unwrap();
        let (label, end) = Period::Month.window(now);
        assert_eq!(label, "2026-12");
        assert_eq!(end.to_string(), "2027-01-01T00:00:00.000Z");
    }

    #[test]
    fn metric_names_are_checked() {
        assert!(check_metric("requests").is_ok());
        assert!(check_metric("api.calls-v2_x").is_ok());
        assert!(check_metric("").is_err());
        assert!(check_metric("Requests").is_err());
        assert!(check_metric("a:b").is_err());
    }
}
