//! What the provider's routes share: cookies (the browser login and the
//! CSRF cookie, both `HttpOnly`, `SameSite=Lax`, scoped to the tenant's
//! path, `Secure` when the issuer is https), the CSRF check of form posts
//! (an HMAC token bound to the browser's cookies, and `Origin`), client
//! credentials from `Authorization: Basic` and the form, OAuth error bodies
//! (RFC 6749 §5.2) and redirects.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use caas_auth::oauth::{ClientCredentials, OAuthError, OAuthErrorCode};
use caas_core::{Error, Tenant};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::pages::{self, Text};
use crate::problem::Problem;
use crate::state::AppState;

/// The browser-login cookie.
pub const LOGIN_COOKIE: &str = "caas_login";
/// The CSRF cookie: a random id of the browser, which form tokens are
/// HMACs of (see [`csrf_token`]).
pub const CSRF_COOKIE: &str = "caas_csrf";
/// A trusted device (skips MFA for the tenant's configured days).
pub const TRUSTED_COOKIE: &str = "caas_trusted";
/// Binds a federated login to the browser that started it.
pub const FEDERATION_COOKIE: &str = "caas_federation";

/// 256 random bits, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes[..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value for the tenant's path (`max_age` 0 deletes).
pub fn set_cookie(
    state: &AppState,
    tenant: &Tenant,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let issuer = state.oidc.issuer(tenant);
    let secure = if issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    let value = format!(
        "{name}={value}; Path=/t/{}/; HttpOnly; SameSite=Lax{secure}{age}",
        tenant.slug
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The key the provider pages' CSRF tokens are HMACed with.
///
/// Derived from the master key (HMAC-SHA256 under a fixed label), so every
/// instance of a deployment agrees on it, a restart keeps open forms valid,
/// and the key itself tells nothing about the master key. Never printed.
#[derive(Clone)]
pub struct CsrfKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey([redacted])")
    }
}

type HmacSha256 = Hmac<Sha256>;

impl CsrfKey {
    /// The label the key is derived from the master key under.
    pub const LABEL: &'static str = "caas-server/oidc-pages/csrf/v1";

    /// The CSRF key of `platform` (derived from its master key).
    pub fn derive(platform: &caas::Platform) -> caas_core::Result<Self> {
        Ok(CsrfKey(platform.derive_key(Self::LABEL)?))
    }

    /// The MAC over what a token binds: the tenant, the browser's CSRF
    /// cookie and its login cookie (empty before login), each
    /// length-prefixed so no two inputs run together.
    fn mac(&self, tenant: &Tenant, binding: &str, login: Option<&str>) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(&self.0[..]).ok()?;
        for part in [
            tenant.id.to_string().as_str(),
            binding,
            login.unwrap_or_default(),
        ] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        Some(mac)
    }

    /// The token of `binding` (base64url HMAC-SHA256).
    fn token(&self, tenant: &Tenant, binding: &str, login: Option<&str>) -> String {
        self.mac(tenant, binding, login)
            .map(|m| URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
            .unwrap_or_default()
    }

    /// Whether `submitted` is the token of `binding` (compared in constant
    /// time by `Mac::verify_slice`).
    fn verify(&self, tenant: &Tenant, binding: &str, login: Option<&str>, submitted: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(submitted) else {
            return false;
        };
        self.mac(tenant, binding, login)
            .is_some_and(|m| m.verify_slice(&tag).is_ok())
    }
}

/// The browser's CSRF cookie, when it is one this server could have set
/// (256 random bits, base64url).
fn binding(headers: &HeaderMap) -> Option<String> {
    cookie(headers, CSRF_COOKIE).filter(|c| {
        c.len() == 43
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The CSRF token for this browser's forms, and the cookie to set when the
/// browser has none yet.
///
/// The cookie (`caas_csrf`, `HttpOnly`) holds a random id of the browser;
/// the form carries `HMAC(key, tenant ‖ that id ‖ the browser's login
/// cookie)`. A cookie planted by someone else (another site of the same
/// parent domain can set cookies) is useless without the server's key, and
/// a token taken from one browser does not pass with another browser's
/// cookies, nor after its login changed.
pub fn csrf_token(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
) -> (String, Option<HeaderValue>) {
    let login = cookie(headers, LOGIN_COOKIE);
    let (binding, set) = match binding(headers) {
        Some(c) => (c, None),
        None => {
            let id = random_token();
            let set = set_cookie(state, tenant, CSRF_COOKIE, &id, None);
            (id, Some(set))
        }
    };
    let token = state.csrf_key.token(tenant, &binding, login.as_deref());
    (token, set)
}

/// Why a submitted provider form was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormRefusal {
    /// `Origin` (or, without it, `Referer`) names another site.
    CrossOrigin,
    /// The CSRF token is missing, forged or from another browser or login.
    Token,
}

impl FormRefusal {
    /// What the refusal page says.
    pub fn message(self, text: &Text) -> &'static str {
        match (self, text.lang) {
            (FormRefusal::CrossOrigin, "sl") => {
                "Obrazec je bil poslan z drugega spletnega mesta, zato ni bil sprejet. \
                 Vrnite se v aplikacijo in začnite znova."
            }
            (FormRefusal::CrossOrigin, _) => {
                "This form was sent from another site, so it was not accepted. \
                 Go back to the application and start again."
            }
            (FormRefusal::Token, _) => text.csrf,
        }
    }

    /// The 403 page of this refusal.
    pub fn page(self, tenant: &Tenant, text: &Text) -> Response {
        pages::error(tenant, text, StatusCode::FORBIDDEN, self.message(text))
    }
}

/// The origin (`scheme://host[:port]`) of `url`, if it has one.
fn origin_of(url: &str) -> Option<String> {
    let origin = url::Url::parse(url).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Whether `origin` (as a browser sends it) is this server's: the origin
/// of the tenant's issuer (the public URL), or the scheme of the issuer
/// with the request's own `Host`.
fn is_own_origin(state: &AppState, tenant: &Tenant, headers: &HeaderMap, origin: &str) -> bool {
    let Some(origin) = origin_of(origin) else {
        return false;
    };
    let issuer = state.oidc.issuer(tenant);
    if origin_of(&issuer).as_deref() == Some(origin.as_str()) {
        return true;
    }
    let scheme = if issuer.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|host| origin_of(&format!("{scheme}://{host}/")))
        .is_some_and(|own| own == origin)
}

/// Checks a state-changing form POST of the provider's pages (login, MFA,
/// guest, consent, logout).
///
/// 1. `Origin`, when it names an origin, must be this server's (the
///    issuer's origin, or the issuer's scheme with the request's `Host`).
///    `Origin: null` names none — browsers send it for this server's own
///    forms, whose pages are `Referrer-Policy: no-referrer` — and counts as
///    absent.
/// 2. Without an origin, a `Referer` must be this server's too.
/// 3. Always, the form's `csrf` token must be the HMAC of this browser's
///    CSRF cookie and login cookie under the server's key. A POST with no
///    `Origin` and no `Referer` (a non-browser client, or a browser that
///    sends neither) passes on the token alone.
pub fn check_form(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    submitted: Option<&str>,
) -> Result<(), FormRefusal> {
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("invalid"))
        .filter(|v| !v.trim().eq_ignore_ascii_case("null"));
    let claimed = match origin {
        Some(o) => Some(o),
        None => headers
            .get(header::REFERER)
            .map(|v| v.to_str().unwrap_or("invalid")),
    };
    if let Some(claimed) = claimed
        && !is_own_origin(state, tenant, headers, claimed)
    {
        tracing::info!(tenant = %tenant.slug, "a provider form from another origin was refused");
        return Err(FormRefusal::CrossOrigin);
    }
    let login = cookie(headers, LOGIN_COOKIE);
    let ok = match (binding(headers), submitted) {
        (Some(binding), Some(token)) => {
            state
                .csrf_key
                .verify(tenant, &binding, login.as_deref(), token)
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        tracing::info!(tenant = %tenant.slug, "a provider form without a valid CSRF token was refused");
        Err(FormRefusal::Token)
    }
}

/// The page's language.
pub fn text(ui_locales: Option<&str>, headers: &HeaderMap) -> &'static Text {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    pages::text::choose(ui_locales, accept)
}

/// A 303 to `location`, with extra headers.
pub fn see_other(location: &str, extra: Vec<(header::HeaderName, HeaderValue)>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (k, v) in extra {
        headers.append(k, v);
    }
    response
}

/// Client credentials in a form body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientForm {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<String>,
    /// `client_assertion_type`.
    pub client_assertion_type: Option<String>,
    /// `client_assertion`.
    pub client_assertion: Option<String>,
}

fn form_decode(s: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// The credentials of a request: `Authorization: Basic` (its parts are
/// form-encoded, RFC 6749 §2.3.1) and the form's fields.
pub fn credentials(headers: &HeaderMap, form: &ClientForm) -> Result<ClientCredentials, Error> {
    let basic = match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some(v) if v.len() > 6 && v[..6].eq_ignore_ascii_case("basic ") => {
            let decoded = STANDARD
                .decode(v[6..].trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(caas_auth::oauth::client_auth::invalid_client)?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(caas_auth::oauth::client_auth::invalid_client)?;
            Some((
                form_decode(id).ok_or_else(caas_auth::oauth::client_auth::invalid_client)?,
                form_decode(secret).ok_or_else(caas_auth::oauth::client_auth::invalid_client)?,
            ))
        }
        _ => None,
    };
    Ok(ClientCredentials {
        basic,
        client_id: form.client_id.clone(),
        client_secret: form.client_secret.clone(),
        assertion_type: form.client_assertion_type.clone(),
        assertion: form.client_assertion.clone(),
    })
}

/// The answer to a failed request at a JSON endpoint of the provider: the
/// OAuth error it is ([`OAuthError::answer`]) as [`oauth_answer`], or —
/// a server fault, not an OAuth answer — problem+json (logged by the
/// problem path).
pub fn oauth_error(e: Error) -> Response {
    match OAuthError::answer(&e) {
        Some(answer) => oauth_answer(&answer),
        None => Problem(e).into_response(),
    }
}

/// An OAuth error body (RFC 6749 §5.2) with the error's status, never
/// cached; `invalid_client` with a `WWW-Authenticate: Basic` challenge.
pub fn oauth_answer(e: &OAuthError) -> Response {
    let mut response = (e.status(), axum::Json(e.body())).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if e.code() == OAuthErrorCode::InvalidClient {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"oauth2\""),
        );
    }
    response
}

/// A JSON answer that must not be cached (tokens, introspection).
pub fn no_store(body: serde_json::Value) -> Response {
    let mut response = axum::Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use caas_auth::oauth::client_auth;
    use caas_core::ErrorKind;
    use serde_json::{Value, json};

    use super::*;
    use crate::problem::ProblemDetails;

    async fn body(r: Response) -> Value {
        let bytes = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn invalid_client_is_401_with_a_basic_challenge() {
        let r = oauth_error(client_auth::invalid_client());
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers()[header::WWW_AUTHENTICATE],
            "Basic realm=\"oauth2\""
        );
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(
            body(r).await,
            json!({"error": "invalid_client", "error_description": "client authentication failed"})
        );
    }

    #[tokio::test]
    async fn other_answers_are_400_without_a_challenge() {
        let e = OAuthError::new(OAuthErrorCode::UnsupportedGrantType, "no such grant");
        let r = oauth_error(e.into());
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(!r.headers().contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(
            body(r).await,
            json!({"error": "unsupported_grant_type", "error_description": "no such grant"})
        );
        // Invalid input without an OAuth code is `invalid_request`.
        let r = oauth_error(Error::invalid_input("invalid JSON: eof"));
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(body(r).await["error"], "invalid_request");
    }

    #[tokio::test]
    async fn rate_limits_are_429_slow_down() {
        let r = oauth_error(Error::new(ErrorKind::RateLimited, "too many attempts"));
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            body(r).await,
            json!({"error": "slow_down", "error_description": "too many attempts"})
        );
    }

    #[test]
    fn faults_and_lookalikes_are_problems() {
        // A fault of the server is problem+json, not an OAuth answer.
        let r = oauth_error(Error::internal("the disk is full"));
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let details = r.extensions().get::<Arc<ProblemDetails>>().unwrap();
        assert_eq!(details.code, "internal");
        // A code string alone makes no OAuth answer: only an `OAuthError` does.
        let lookalike = Error::new(ErrorKind::Unauthenticated, "no").with_code("invalid_client");
        let r = oauth_error(lookalike);
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.extensions().get::<Arc<ProblemDetails>>().is_some());
        assert_ne!(
            r.headers()[header::WWW_AUTHENTICATE],
            "Basic realm=\"oauth2\""
        );
    }
}
