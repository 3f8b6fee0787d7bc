//! Which browser origins may call a tenant's API (CORS).

use serde::{Deserialize, Serialize};

use crate::validate::truncate;
use crate::{Error, Result};

/// A tenant's CORS policy: the origins whose pages may call its API.
///
/// Origins are `scheme://host[:port]` exactly as browsers send them in the
/// `Origin` header. `*` admits every origin and is never a default: a tenant
/// has to ask for it, and even then credentials are not shared with `*`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    /// Allowed origins, or `["*"]`.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

impl CorsSettings {
    /// The most origins one tenant may list.
    pub const MAX_ORIGINS: usize = 100;

    /// An empty policy (no cross-origin calls).
    pub fn is_empty(&self) -> bool {
        self.allowed_origins.is_empty()
    }

    /// Checks every origin; the error names the offending one.
    pub fn validate(&self) -> Result<()> {
        if self.allowed_origins.len() > Self::MAX_ORIGINS {
            return Err(Error::invalid_input(format!(
                "at most {} CORS origins are allowed",
                Self::MAX_ORIGINS
            ))
            .with_field("settings.cors.allowed_origins"));
        }
        for origin in &self.allowed_origins {
            check_origin(origin).map_err(|e| e.with_field("settings.cors.allowed_origins"))?;
        }
        Ok(())
    }

    /// Whether `*` is configured.
    pub fn allows_any(&self) -> bool {
        self.allowed_origins.iter().any(|o| o == "*")
    }

    /// Whether a request from `origin` (the `Origin` header) is allowed.
    pub fn allows(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == "*" || o == origin)
    }
}

/// Checks that `origin` is `*` or a serialized origin: `http`/`https`,
/// lowercase host, optional port, nothing after.
pub(crate) fn check_origin(origin: &str) -> Result<()> {
    if origin == "*" {
        return Ok(());
    }
    let bad = |why: &str| {
        Error::invalid_input(format!(
            "`{}` is not a CORS origin: {why}",
            truncate(origin)
        ))
    };
    let url = url::Url::parse(origin).map_err(|_| bad("expected `https://host[:port]`"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be `http` or `https`"));
    }
    if url.host_str().is_none() {
        return Err(bad("a host is required"));
    }
    // `Url` normalises (lowercases the host, drops a default port, adds `/`);
    // browsers send the normalised form, so only that form can ever match.
    let normal = url.origin().ascii_serialization();
    if normal != origin {
        return Err(bad(&format!(
            "write it as `{normal}` (no path, lowercase, no default port)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_must_be_written_as_browsers_send_them() {
        for ok in ["*", "https://app.example.com", "http://localhost:5173"] {
            check_origin(ok).unwrap();
        }
        for bad in [
            "https://app.example.com/",
            "https://App.example.com",
            "https://example.com:443",
            "ftp://example.com",
            "example.com",
            "https://example.com/path",
            "",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn allows_matches_exactly_or_by_wildcard() {
        let cors = CorsSettings {
            allowed_origins: vec!["https://a.example".into()],
        };
        assert!(cors.allows("https://a.example"));
        assert!(!cors.allows("https://a.example.evil"));
        assert!(!cors.allows_any());
        let any = CorsSettings {
            allowed_origins: vec!["*".into()],
        };
        assert!(any.allows("https://whatever.example") && any.allows_any());
    }
}
