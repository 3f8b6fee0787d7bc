//! [`TenantResolver`]: which tenant a request is for.

use std::fmt;

use super::{SharedTenantStore, Tenant, TenantRef, TenantSlug};
use crate::validate::truncate;
use crate::{Error, Result};

/// Where a request can name its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TenantSource {
    /// The first label of the host under the configured base domain
    /// (`acme.caas.example.com` → `acme`).
    Subdomain,
    /// The `X-Tenant-ID` header: a tenant id or slug.
    Header,
    /// The `tenant_id` claim of an already verified token: an id or slug.
    TokenClaim,
    /// A `/t/{slug}/…` path prefix.
    PathPrefix,
}

impl TenantSource {
    /// All sources in the default order: header, token claim, subdomain, path.
    pub const DEFAULT_ORDER: [TenantSource; 4] = [
        TenantSource::Header,
        TenantSource::TokenClaim,
        TenantSource::Subdomain,
        TenantSource::PathPrefix,
    ];
}

impl fmt::Display for TenantSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TenantSource::Subdomain => "the subdomain",
            TenantSource::Header => "the X-Tenant-ID header",
            TenantSource::TokenClaim => "the token's tenant_id claim",
            TenantSource::PathPrefix => "the /t/{slug} path",
        })
    }
}

/// What a request carries that may name a tenant; the caller fills in what it has.
#[derive(Debug, Clone, Copy, Default)]
pub struct TenantHints<'a> {
    /// The `Host` (or `:authority`), possibly with a port.
    pub host: Option<&'a str>,
    /// The `X-Tenant-ID` header value.
    pub header: Option<&'a str>,
    /// The `tenant_id` claim of a token whose signature was already checked.
    pub claim: Option<&'a str>,
    /// The request path.
    pub path: Option<&'a str>,
}

/// The tenant a request resolved to, and which sources named it.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// The tenant; it is active.
    pub tenant: Tenant,
    /// Every source that named it, in resolver order.
    pub sources: Vec<TenantSource>,
}

/// Resolves a request's tenant from its sources, in a configured order.
///
/// Every present source must name the same tenant: two that disagree are
/// `InvalidInput`. An unknown (or deleted) tenant is `NotFound`; a suspended
/// one is `Forbidden`.
#[derive(Debug, Clone)]
pub struct TenantResolver {
    store: SharedTenantStore,
    order: Vec<TenantSource>,
    base_domain: Option<String>,
}

impl TenantResolver {
    /// A resolver over `store` using `order`. `base_domain` is required when
    /// the order includes [`TenantSource::Subdomain`].
    pub fn new(
        store: SharedTenantStore,
        order: &[TenantSource],
        base_domain: Option<&str>,
    ) -> Result<Self> {
        let mut seen = Vec::new();
        for s in order {
            if seen.contains(s) {
                return Err(Error::invalid_input(format!(
                    "{s} is listed twice in the tenant resolution order"
                )));
            }
            seen.push(*s);
        }
        let base_domain = match base_domain {
            Some(d) => Some(normalize_base_domain(d)?),
            None if order.contains(&TenantSource::Subdomain) => {
                return Err(Error::invalid_input(
                    "tenant resolution by subdomain needs a base domain",
                )
                .with_field("base_domain"));
            }
            None => None,
        };
        Ok(TenantResolver {
            store,
            order: seen,
            base_domain,
        })
    }

    /// The configured order.
    pub fn order(&self) -> &[TenantSource] {
        &self.order
    }

    /// Resolves the tenant; `Ok(None)` if no source names one.
    pub async fn resolve(&self, hints: &TenantHints<'_>) -> Result<Option<Resolution>> {
        let mut named: Vec<(TenantSource, TenantRef)> = Vec::new();
        for source in &self.order {
            if let Some(r) = self.extract(*source, hints)? {
                named.push((*source, r));
            }
        }
        let Some((first_source, first_ref)) = named.first().cloned() else {
            return Ok(None);
        };

        let mut found: Vec<(TenantSource, TenantRef, Option<Tenant>)> = Vec::new();
        for (source, r) in named {
            // Look each distinct reference up once.
            let tenant = match found.iter().find(|(_, seen, _)| *seen == r) {
                Some((_, _, t)) => t.clone(),
                None => self.lookup(&r).await?,
            };
            found.push((source, r, tenant));
        }

        // Sources agree when they name the same tenant; an unknown reference
        // names "itself", so two different unknown names disagree too.
        let names = |(_, r, t): &(TenantSource, TenantRef, Option<Tenant>)| match t {
            Some(t) => TenantRef::Id(t.id),
            None => r.clone(),
        };
        let first_name = names(&found[0]);
        if let Some((source, r, _)) = found.iter().find(|f| names(f) != first_name) {
            return Err(Error::invalid_input(format!(
                "{first_source} names tenant `{first_ref}` but {source} names `{r}`"
            )));
        }
        let Some(tenant) = found[0].2.clone() else {
            return Err(Error::not_found(format!(
                "tenant `{first_ref}` (from {first_source}) not found"
            )));
        };
        tenant.ensure_active()?;
        Ok(Some(Resolution {
            sources: found.iter().map(|(s, _, _)| *s).collect(),
            tenant,
        }))
    }

    /// Like [`resolve`](Self::resolve), but a request naming no tenant is `InvalidInput`.
    pub async fn resolve_required(&self, hints: &TenantHints<'_>) -> Result<Resolution> {
        match self.resolve(hints).await? {
            Some(r) => Ok(r),
            None => {
                let ways: Vec<String> = self.order.iter().map(ToString::to_string).collect();
                Err(Error::invalid_input(format!(
                    "the request names no tenant; name it with {}",
                    ways.join(" or ")
                )))
            }
        }
    }

    async fn lookup(&self, r: &TenantRef) -> Result<Option<Tenant>> {
        match r {
            TenantRef::Id(id) => self.store.get(id).await,
            TenantRef::Slug(slug) => self.store.get_by_slug(slug).await,
        }
    }

    fn extract(&self, source: TenantSource, hints: &TenantHints<'_>) -> Result<Option<TenantRef>> {
        let from_value = |value: Option<&str>| -> Result<Option<TenantRef>> {
            match value.map(str::trim) {
                None => Ok(None),
                Some(v) => TenantRef::parse(v).map(Some).map_err(|_| {
                    Error::invalid_input(format!(
                        "{source} holds `{}`, which is not a tenant id or slug",
                        truncate(v)
                    ))
                }),
            }
        };
        match source {
            TenantSource::Header => from_value(hints.header),
            TenantSource::TokenClaim => from_value(hints.claim),
            TenantSource::Subdomain => match (&self.base_domain, hints.host) {
                (Some(base), Some(host)) => subdomain_slug(host, base),
                _ => Ok(None),
            },
            TenantSource::PathPrefix => match hints.path {
                Some(path) => path_slug(path),
                None => Ok(None),
            },
        }
    }
}

fn normalize_base_domain(d: &str) -> Result<String> {
    let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if valid {
        Ok(d)
    } else {
        Err(
            Error::invalid_input(format!("`{}` is not a valid base domain", truncate(&d)))
                .with_field("base_domain"),
        )
    }
}

/// `acme.caas.example.com:8080` under `caas.example.com` → `acme`.
fn subdomain_slug(host: &str, base: &str) -> Result<Option<TenantRef>> {
    let host = strip_port(host.trim())
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let Some(label) = host
        .strip_suffix(base)
        .and_then(|rest| rest.strip_suffix('.'))
    else {
        return Ok(None); // the base domain itself, or another host
    };
    if label.contains('.') {
        return Err(Error::invalid_input(format!(
            "host `{}` is not a tenant subdomain of `{base}`",
            truncate(&host)
        )));
    }
    TenantSlug::parse(label)
        .map(|s| Some(TenantRef::Slug(s)))
        .map_err(|e| Error::invalid_input(format!("the subdomain: {}", e.message())))
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // An IPv6 literal is never a tenant subdomain; keep it whole.
        return host;
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// `/t/acme/games` → `acme`.
fn path_slug(path: &str) -> Result<Option<TenantRef>> {
    let Some(rest) = path.strip_prefix("/t/") else {
        return Ok(None);
    };
    let segment = rest.split('/').next().unwrap_or_default();
    TenantSlug::parse(segment)
        .map(|s| Some(TenantRef::Slug(s)))
        .map_err(|e| Error::invalid_input(format!("the /t/{{slug}} path: {}", e.message())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_under_the_base_name_a_slug() {
        let base = "caas.example.com";
        let slug = |h| subdomain_slug(h, base).unwrap().map(|r| r.to_string());
        assert_eq!(slug("acme.caas.example.com"), Some("acme".into()));
        assert_eq!(slug("ACME.caas.example.com:8443"), Some("acme".into()));
        assert_eq!(slug("acme.caas.example.com."), Some("acme".into()));
        assert_eq!(slug("caas.example.com"), None);
        assert_eq!(slug("evilcaas.example.com"), None);
        assert_eq!(slug("127.0.0.1:8080"), None);
        assert_eq!(slug("[::1]:8080"), None);
        assert!(subdomain_slug("a.b.caas.example.com", base).is_err());
        assert!(subdomain_slug("a_b.caas.example.com", base).is_err());
    }

    #[test]
    fn path_prefixes_name_a_slug() {
        assert_eq!(
            path_slug("/t/acme/games").unwrap().unwrap().to_string(),
            "acme"
        );
        assert_eq!(path_slug("/t/acme").unwrap().unwrap().to_string(), "acme");
        assert!(path_slug("/v1/tenants").unwrap().is_none());
        assert!(path_slug("/t/").is_err());
        assert!(path_slug("/t/UPPER/x").is_err());
    }

    #[test]
    fn base_domains_are_validated() {
        assert_eq!(
            normalize_base_domain("Example.COM.").unwrap(),
            "example.com"
        );
        assert!(normalize_base_domain("").is_err());
        assert!(normalize_base_domain("bad..domain").is_err());
        assert!(normalize_base_domain("-x.com").is_err());
    }
}
