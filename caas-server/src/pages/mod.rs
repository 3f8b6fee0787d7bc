//! Server-rendered pages of the OAuth provider (login, MFA, consent,
//! logout, errors): plain HTML forms, no script, the tenant's branding
//! (`Layout`), English and Slovenian text ([`text`]).
//!
//! Each page is an askama template in `caas-server/templates/` (a
//! `layout.html` base and one file per page) with a struct here that names
//! every value it shows. Templates are compiled into the binary and
//! checked against their structs at build time; `.html` templates escape
//! every value they print, so the only markup not escaped is the templates'
//! own source. `render` turns a template into the response (HTML,
//! `no-store`, [`PAGE_CSP`]); a template that fails to render is a 500,
//! never a panic.

mod consent;
mod layout;
mod login;
mod logout;
pub mod text;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use caas_core::{Branding, Tenant};

pub(crate) use self::consent::ConsentPage;
pub(crate) use self::layout::Layout;
pub(crate) use self::login::{LoginPage, MfaPage};
pub(crate) use self::logout::{LoggedOutPage, LogoutPage};
pub use self::text::Text;
use crate::problem::Problem;

/// The pages' own Content-Security-Policy: inline styles only, images over
/// https, no script, no framing. (No `form-action`: browsers apply it to
/// the redirect to the client after a form is sent.)
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; frame-ancestors 'none'";

/// The response of `page` with `status`: HTML, never cached, under
/// [`PAGE_CSP`] — or a 500 (logged) if the template fails to render.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    let html = match page.render() {
        Ok(html) => html,
        Err(e) => {
            return Problem(caas_core::Error::internal(format!(
                "rendering a page failed: {e}"
            )))
            .into_response();
        }
    };
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    response
}

/// The tenant's display name.
pub fn tenant_name(tenant: &Tenant) -> String {
    Branding::of(&tenant.settings)
        .display_name
        .unwrap_or_else(|| tenant.name.clone())
}

/// `templates/error.html`: what went wrong.
#[derive(Debug, Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    page: Layout<'a>,
    message: &'a str,
}

/// The error page.
pub fn error(tenant: &Tenant, text: &Text, status: StatusCode, message: &str) -> Response {
    render(
        status,
        &ErrorPage {
            page: Layout::new(tenant, text, text.error_title),
            message,
        },
    )
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::*;

    fn tenant(display_name: &str) -> Tenant {
        let now = caas_core::Timestamp::from_millis(1_700_000_000_000);
        let mut settings = caas_core::TenantSettings::default();
        settings.extensions.insert(
            Branding::SECTION.to_owned(),
            serde_json::json!({"display_name": display_name, "primary_color": "red;}body{x"}),
        );
        Tenant {
            id: caas_core::TenantId::generate(&caas_core::ManualClock::new(now)),
            slug: caas_core::TenantSlug::parse("shop").unwrap(),
            name: "Shop".to_owned(),
            status: caas_core::TenantStatus::Active,
            settings,
            created_at: now,
            updated_at: now,
        }
    }

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_engine_escapes_tenant_names_and_messages() {
        let evil = r#"<script>"'&"#;
        let response = error(&tenant(evil), &text::EN, StatusCode::BAD_REQUEST, evil);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(
            response.headers()[header::CONTENT_SECURITY_POLICY],
            PAGE_CSP
        );
        let html = body(response).await;
        // askama writes numeric character references.
        let escaped = "&#60;script&#62;&#34;&#39;&#38;";
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains(&format!("<title>Something went wrong · {escaped}</title>")),
            "{html}"
        );
        assert!(
            html.contains(&format!(r#"<p class="error" role="alert">{escaped}</p>"#)),
            "{html}"
        );
        // The colour failed the hex check: the default is used.
        assert!(html.contains("background: #1f5fbf") && !html.contains("red;"));
    }

    /// A value whose `Display` fails, as a broken template would.
    struct Failing;

    impl fmt::Display for Failing {
        fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
            Err(fmt::Error)
        }
    }

    #[derive(Template)]
    #[template(source = "<p>{{ value }}</p>", ext = "html")]
    struct Broken {
        value: Failing,
    }

    #[test]
    fn a_failed_render_is_a_500_not_a_panic() {
        let response = render(StatusCode::OK, &Broken { value: Failing });
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_ne!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
    }
}
