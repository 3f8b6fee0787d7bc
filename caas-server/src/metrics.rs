//! Prometheus metrics, rendered in the text exposition format (0.0.4).
//!
//! The set is small and fixed, so it is kept here rather than behind a
//! metrics framework: requests by method, route template, status and tenant;
//! request latency histograms by method and route; rate-limit and quota
//! refusals by limit; webhook delivery attempts by outcome; backend health.
//! Route labels are templates (`/v1/admin/tenants/{slug}`), never raw paths,
//! so label cardinality stays bounded by the routes × tenants.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The route label of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16, String), u64>,
    latency: BTreeMap<(String, String), Histogram>,
    refusals: BTreeMap<&'static str, u64>,
    deliveries: BTreeMap<&'static str, u64>,
}

/// The server's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// One finished request.
#[derive(Debug)]
pub struct RequestRecord<'a> {
    /// The method.
    pub method: &'a str,
    /// The route template, or [`UNMATCHED`].
    pub route: &'a str,
    /// The response status.
    pub status: u16,
    /// The tenant slug, or empty.
    pub tenant: &'a str,
    /// How long it took.
    pub elapsed: Duration,
}

impl Metrics {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the counters invalid.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a finished request.
    pub fn request(&self, r: &RequestRecord<'_>) {
        let secs = r.elapsed.as_secs_f64();
        let mut inner = self.lock();
        *inner
            .requests
            .entry((
                r.method.to_owned(),
                r.route.to_owned(),
                r.status,
                r.tenant.to_owned(),
            ))
            .or_default() += 1;
        let h = inner
            .latency
            .entry((r.method.to_owned(), r.route.to_owned()))
            .or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Counts a request refused by the limit `name` (`ip`, `tenant`, `quota`…).
    pub fn rate_limited(&self, name: &'static str) {
        *self.lock().refusals.entry(name).or_default() += 1;
    }

    /// Counts a webhook delivery attempt by outcome (`succeeded`, `failed`, `dead`).
    pub fn webhook_delivery(&self, outcome: &'static str) {
        *self.lock().deliveries.entry(outcome).or_default() += 1;
    }

    /// The exposition text, with the backends' health as measured by the caller.
    pub fn render(&self, backends: &[(&str, bool)]) -> String {
        let inner = self.lock();
        let mut out = String::with_capacity(4096);
        family(
            &mut out,
            "caas_http_requests_total",
            "counter",
            "HTTP requests by method, route, status and tenant.",
        );
        for ((method, route, status, tenant), n) in &inner.requests {
            let _ = writeln!(
                out,
                "caas_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\",tenant=\"{}\"}} {n}",
                escape(method),
                escape(route),
                escape(tenant)
            );
        }
        family(
            &mut out,
            "caas_http_request_duration_seconds",
            "histogram",
            "HTTP request latency by method and route.",
        );
        for ((method, route), h) in &inner.latency {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "caas_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "caas_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "caas_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "caas_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        family(
            &mut out,
            "caas_rate_limit_rejections_total",
            "counter",
            "Requests refused by a rate limit or quota, by limit.",
        );
        for (limit, n) in &inner.refusals {
            let _ = writeln!(
                out,
                "caas_rate_limit_rejections_total{{limit=\"{limit}\"}} {n}"
            );
        }
        family(
            &mut out,
            "caas_webhook_deliveries_total",
            "counter",
            "Webhook delivery attempts by outcome.",
        );
        for (outcome, n) in &inner.deliveries {
            let _ = writeln!(
                out,
                "caas_webhook_deliveries_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        drop(inner);
        family(
            &mut out,
            "caas_backend_up",
            "gauge",
            "Whether a backend answered its health check (1) or not (0).",
        );
        for (backend, up) in backends {
            let _ = writeln!(
                out,
                "caas_backend_up{{backend=\"{}\"}} {}",
                escape(backend),
                u8::from(*up)
            );
        }
        out
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl caas_webhooks::DeliveryObserver for Metrics {
    fn attempted(&self, outcome: &'static str) {
        self.webhook_delivery(outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let m = Metrics::default();
        for ms in [1, 30, 30, 4000] {
            m.request(&RequestRecord {
                method: "GET",
                route: "/v1/x",
                status: 200,
                tenant: "a\"b",
                elapsed: Duration::from_millis(ms),
            });
        }
        let text = m.render(&[("database", true)]);
        assert!(text.contains("tenant=\"a\\\"b\"} 4"), "{text}");
        assert!(text.contains("le=\"0.05\"} 3"), "{text}");
        assert!(text.contains("le=\"5\"} 4"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 4"), "{text}");
        assert!(text.contains("caas_backend_up{backend=\"database\"} 1"));
    }
}
