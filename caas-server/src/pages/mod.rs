//! Server-rendered pages of the OAuth provider (login, MFA, consent,
//! logout, errors): plain HTML forms, no script, every value escaped,
//! the tenant's branding (name, logo, colours from
//! `settings.extensions.branding`, each checked before it reaches CSS),
//! English and Slovenian text ([`text`]).

pub mod text;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use caas_core::{Branding, Tenant};

pub use self::text::Text;

/// The pages' own Content-Security-Policy: inline styles only, images over
/// https, no script, no framing. (No `form-action`: browsers apply it to
/// the redirect to the client after a form is sent.)
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; frame-ancestors 'none'";

/// HTML-escapes `s` for text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn color(c: Option<&str>, default: &'static str) -> String {
    match c {
        Some(c)
            if (c.len() == 4 || c.len() == 7)
                && c.starts_with('#')
                && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            c.to_owned()
        }
        _ => default.to_owned(),
    }
}

/// A page: `title` and `body` (already escaped HTML) in the tenant's layout.
pub fn page(tenant: &Tenant, text: &Text, status: StatusCode, title: &str, body: &str) -> Response {
    let b = Branding::of(&tenant.settings);
    let name = b
        .display_name
        .clone()
        .unwrap_or_else(|| tenant.name.clone());
    let primary = color(b.primary_color.as_deref(), "#1f5fbf");
    let background = color(b.background_color.as_deref(), "#f4f5f7");
    let logo = b
        .logo_url
        .as_deref()
        .filter(|u| u.starts_with("https://") && u.len() < 2000)
        .map(|u| format!(r#"<img class="logo" src="{}" alt="">"#, esc(u)))
        .unwrap_or_default();
    let html = format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} · {name}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: {background}; color: #1b1d21; margin: 0; }}
main {{ max-width: 24rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: .5rem; box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
h1 {{ font-size: 1.4rem; margin-top: 0; }}
label {{ display: block; margin: 1rem 0 .25rem; font-weight: 600; }}
input[type=text], input[type=password], input[type=email] {{ width: 100%; box-sizing: border-box; padding: .6rem; border: 1px solid #767676; border-radius: .25rem; font-size: 1rem; }}
button, .button {{ display: inline-block; margin-top: 1.25rem; padding: .6rem 1.2rem; border: 0; border-radius: .25rem; background: {primary}; color: #fff; font-size: 1rem; cursor: pointer; text-decoration: none; }}
button.secondary {{ background: #5a5f69; }}
:focus-visible {{ outline: 3px solid {primary}; outline-offset: 2px; }}
.error {{ color: #a4000f; background: #fde7e9; padding: .6rem; border-radius: .25rem; }}
.logo {{ max-height: 3rem; display: block; margin-bottom: 1rem; }}
.brand {{ color: #5a5f69; margin-top: -.5rem; }}
</style>
</head>
<body>
<main>
{logo}
{body}
</main>
</body>
</html>
"#,
        lang = text.lang,
        title = esc(title),
        name = esc(&name),
    );
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

/// The error page.
pub fn error(tenant: &Tenant, text: &Text, status: StatusCode, message: &str) -> Response {
    let body = format!(
        r#"<h1>{}</h1><p class="error" role="alert">{}</p>"#,
        esc(text.error_title),
        esc(message)
    );
    page(tenant, text, status, text.error_title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">'&'"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;"
        );
    }

    #[test]
    fn only_hex_colours_reach_css() {
        assert_eq!(color(Some("#abc"), "#000"), "#abc");
        assert_eq!(color(Some("#a1b2c3"), "#000"), "#a1b2c3");
        assert_eq!(color(Some("red;}body{x"), "#000"), "#000");
        assert_eq!(color(Some("#12345g"), "#000"), "#000");
    }
}
