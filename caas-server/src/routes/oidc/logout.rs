//! `GET {issuer}/oauth2/logout`: RP-initiated logout (OIDC RP-Initiated
//! Logout 1.0). The user confirms on a page (CSRF-protected); the browser
//! login ends and the browser returns to a registered
//! `post_logout_redirect_uri` with `state`, or sees a signed-out page.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use caas_auth::oauth::LogoutParams;
use serde::Deserialize;

use super::web::{self, LOGIN_COOKIE};
use crate::extract::PublicTenant;
use crate::pages;
use crate::problem::Problem;
use crate::state::AppState;

/// The confirmation form: the original parameters, checked again.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf: Option<String>,
    #[serde(flatten)]
    params: LogoutParams,
}

/// Asks the user to confirm signing out.
#[utoipa::path(get, path = "/t/{slug}/oauth2/logout", operation_id = "oauth_logout_page", tag = "oauth",
    params(
        ("slug" = String, Path, description = "The tenant's slug"),
        ("id_token_hint" = Option<String>, Query, description = "An ID token the provider issued"),
        ("post_logout_redirect_uri" = Option<String>, Query, description = "A registered URI to return to"),
        ("client_id" = Option<String>, Query, description = "The client, without a hint"),
        ("state" = Option<String>, Query, description = "Returned unchanged"),
        ("ui_locales" = Option<String>, Query, description = "`en`, `sl`"),
    ),
    responses(
        (status = 200, description = "The confirmation page", content_type = "text/html"),
        (status = 400, description = "An invalid hint or return URI", content_type = "text/html"),
    ))]
pub async fn page(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    Query(params): Query<LogoutParams>,
) -> Result<Response, Problem> {
    let text = web::text(params.ui_locales.as_deref(), &headers);
    let plan = match state.oidc.check_logout(&tenant, &params).await {
        Ok(p) => p,
        Err(e) if e.kind() == caas_core::ErrorKind::InvalidInput => {
            return Ok(pages::error(
                &tenant,
                text,
                StatusCode::BAD_REQUEST,
                e.message(),
            ));
        }
        Err(e) => return Err(Problem(e)),
    };
    let (csrf, set) = web::csrf_token(&state, &tenant, &headers);
    let keep = [
        ("id_token_hint", &params.id_token_hint),
        ("post_logout_redirect_uri", &params.post_logout_redirect_uri),
        ("client_id", &params.client_id),
        ("state", &params.state),
        ("ui_locales", &params.ui_locales),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    .collect();
    let page = pages::LogoutPage {
        page: pages::Layout::new(&tenant, text, text.logout_title),
        client: plan.client_name.as_deref(),
        slug: tenant.slug.as_str(),
        csrf: &csrf,
        keep,
    };
    let mut response = pages::render(StatusCode::OK, &page);
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    Ok(response)
}

/// Signs out: ends the browser login, then returns to the client.
#[utoipa::path(post, path = "/t/{slug}/oauth2/logout", operation_id = "oauth_logout", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`csrf` and the parameters of the confirmation page"),
    responses(
        (status = 303, description = "To the `post_logout_redirect_uri`"),
        (status = 200, description = "Signed out (no return URI)", content_type = "text/html"),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, Problem> {
    let text = web::text(form.params.ui_locales.as_deref(), &headers);
    if let Err(refusal) = web::check_form(&state, &tenant, &headers, form.csrf.as_deref()) {
        return Ok(refusal.page(&tenant, text));
    }
    let plan = match state.oidc.check_logout(&tenant, &form.params).await {
        Ok(p) => p,
        Err(e) if e.kind() == caas_core::ErrorKind::InvalidInput => {
            return Ok(pages::error(
                &tenant,
                text,
                StatusCode::BAD_REQUEST,
                e.message(),
            ));
        }
        Err(e) => return Err(Problem(e)),
    };
    if let Some(cookie) = web::cookie(&headers, LOGIN_COOKIE) {
        state.oidc.browser().close(&tenant.id, &cookie).await?;
    }
    let clear = web::set_cookie(&state, &tenant, LOGIN_COOKIE, "", Some(0));
    Ok(match plan.redirect {
        Some(url) => web::see_other(&url, vec![(header::SET_COOKIE, clear)]),
        None => {
            let page = pages::LoggedOutPage {
                page: pages::Layout::new(&tenant, text, text.logout_title),
            };
            let mut r = pages::render(StatusCode::OK, &page);
            r.headers_mut().append(header::SET_COOKIE, clear);
            r
        }
    })
}
