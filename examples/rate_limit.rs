//! Rate limits and quotas on a key-value store, with a manual clock so the
//! output is the same on every run.
//!
//! Run with `cargo run -p caas-examples --example rate_limit`. The same code
//! runs on Redis (`caas_core::kv::RedisKvStore`), shared by every instance.

use std::sync::Arc;
use std::time::Duration;

use caas_core::kv::MemoryKvStore;
use caas_core::{
    ManualClock, Namespace, Period, Quota, RateLimit, RateLimiter, SharedClock, TenantId,
    Timestamp, UsageMeter,
};

#[tokio::main]
async fn main() -> caas_core::Result<()> {
    let clock = ManualClock::shared(Timestamp::parse_rfc3339("2026-11-21T12:00:00Z")?);
    let shared: SharedClock = clock.clone();
    let kv = Arc::new(MemoryKvStore::new(shared.clone()));

    let limiter = RateLimiter::new(kv.clone(), shared.clone());
    let limit: RateLimit = "5/s".parse()?;
    let key = Namespace::Platform.key("rl:ip:203.0.113.7")?;
    println!("limit: {limit} per client IP");
    for i in 1..=7 {
        let d = limiter.check(&key, &limit).await?;
        match d.retry_after {
            None => println!("  request {i}: allowed, {} left", d.remaining),
            Some(after) => println!("  request {i}: refused, retry after {after:?}"),
        }
    }
    clock.advance(Duration::from_millis(200));
    let d = limiter.check(&key, &limit).await?;
    println!("  after 200 ms: allowed = {}", d.allowed);

    let meter = UsageMeter::new(kv, shared);
    let tenant = TenantId::generate(clock.as_ref());
    let quota = Quota {
        limit: 3,
        period: Period::Day,
    };
    println!("quota: {} exports per day", quota.limit);
    for i in 1..=4 {
        match meter.consume(&tenant, "exports", 1, &[quota]).await {
            Ok(usage) => println!("  export {i}: ok, {} left today", usage[0].remaining),
            Err(e) => println!(
                "  export {i}: {} — {e}; retry in {:?}",
                e.kind(),
                e.retry_after().unwrap_or_default()
            ),
        }
    }
    Ok(())
}
