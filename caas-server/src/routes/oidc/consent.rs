//! The consent screen of a third-party client: what it asks for, allow or
//! deny. An allowed set is remembered per user, client and scopes.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use caas_auth::oauth::{OAuthError, OAuthErrorCode};
use serde::Deserialize;

use super::authorize::{browser_session, go, parked, submitted};
use super::login::RequestRef;
use super::web;
use crate::extract::PublicTenant;
use crate::pages;
use crate::problem::Problem;
use crate::state::AppState;

/// The consent form.
#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    csrf: Option<String>,
    request: String,
    decision: String,
}

/// The consent screen of a parked request.
#[utoipa::path(get, path = "/t/{slug}/oauth2/consent", operation_id = "oauth_consent_page", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug"), RequestRef),
    responses(
        (status = 200, description = "The consent form", content_type = "text/html"),
        (status = 303, description = "Not logged in: to the login page"),
    ))]
pub async fn page(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    Query(r): Query<RequestRef>,
) -> Result<Response, Problem> {
    let (request, text) = match parked(&state, &tenant, &headers, &r.request).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    if browser_session(&state, &tenant, &headers).await?.is_none() {
        return Ok(web::see_other(
            &format!("/t/{}/oauth2/login?request={}", tenant.slug, r.request),
            Vec::new(),
        ));
    }
    let (csrf, set) = web::csrf_token(&state, &tenant, &headers);
    let page = pages::ConsentPage {
        page: pages::Layout::new(&tenant, text, text.consent_title),
        client: &request.client_name,
        scopes: request.scopes.iter().map(|s| text.scope(s)).collect(),
        slug: tenant.slug.as_str(),
        csrf: &csrf,
        request: &r.request,
    };
    let mut response = pages::render(StatusCode::OK, &page);
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    Ok(response)
}

/// Allows or denies the client.
#[utoipa::path(post, path = "/t/{slug}/oauth2/consent", operation_id = "oauth_consent", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`csrf`, `request`, `decision` (`allow` or `deny`)"),
    responses(
        (status = 303, description = "Back to the client with a code, or `access_denied`"),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    Form(form): Form<ConsentForm>,
) -> Result<Response, Problem> {
    let (request, _) = match submitted(
        &state,
        &tenant,
        &headers,
        &form.request,
        form.csrf.as_deref(),
    )
    .await?
    {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let session = browser_session(&state, &tenant, &headers).await?;
    if form.decision != "allow" {
        state.oidc.unpark(&tenant, &form.request).await?;
        let denied = OAuthError::new(OAuthErrorCode::AccessDenied, "the user denied access");
        let url = state.oidc.refuse(&tenant, &request, &denied);
        return Ok(web::see_other(&url, Vec::new()));
    }
    let next = state
        .oidc
        .proceed(&tenant, &request, session.as_ref(), false, true)
        .await?;
    go(
        &state,
        &tenant,
        &request,
        Some(&form.request),
        next,
        Vec::new(),
    )
    .await
}
