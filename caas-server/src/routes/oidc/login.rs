//! The login pages of an authorization request: password (with the
//! tenant's lockout and uniform failures), then the MFA step when the user
//! has a second factor. Success opens a browser login (cookie) and goes on
//! with the request.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use caas_auth::oauth::AuthorizationRequest;
use caas_auth::sessions::Session;
use caas_auth::{Login, SignIn};
use caas_core::{ErrorKind, SecretString, Tenant};
use serde::Deserialize;

use super::authorize::{go, parked, submitted};
use super::web::{self, LOGIN_COOKIE, TRUSTED_COOKIE};
use crate::extract::PublicTenant;
use crate::pages::{self, Text};
use crate::problem::Problem;
use crate::routes::auth::ClientInfo;
use crate::state::AppState;

/// `?request=` of the pages.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestRef {
    /// The parked authorization request.
    pub request: String,
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: Option<String>,
    request: String,
    login: String,
    password: String,
}

/// The MFA form.
#[derive(Debug, Deserialize)]
pub struct MfaForm {
    csrf: Option<String>,
    request: String,
    challenge: String,
    code: String,
    #[serde(default)]
    trust_device: Option<String>,
}

/// What every page of the flow is rendered with.
struct Ctx<'a> {
    state: &'a AppState,
    tenant: &'a Tenant,
    headers: &'a HeaderMap,
    text: &'static Text,
    /// The tenant's enabled upstream providers (id, name), for the login page.
    providers: Vec<(String, String)>,
}

/// The tenant's enabled upstream providers.
async fn upstreams(state: &AppState, tenant: &Tenant) -> Result<Vec<(String, String)>, Problem> {
    Ok(state
        .federation
        .providers()
        .list(&tenant.id)
        .await?
        .into_iter()
        .filter(|p| p.settings.enabled)
        .map(|p| (p.id, p.settings.name))
        .collect())
}

fn login_page(
    Ctx {
        state,
        tenant,
        headers,
        text,
        providers,
    }: Ctx<'_>,
    request: &AuthorizationRequest,
    id: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (csrf, set) = web::csrf_token(state, tenant, headers);
    let page = pages::LoginPage {
        page: pages::Layout::new(tenant, text, text.sign_in),
        client: &request.client_name,
        slug: tenant.slug.as_str(),
        csrf: &csrf,
        request: id,
        hint: request.login_hint.as_deref().unwrap_or(""),
        error,
        guest: caas_auth::AuthSettings::of(&tenant.settings).is_ok_and(|s| s.allow_guests),
        providers: &providers,
    };
    let mut response = pages::render(status, &page);
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    response
}

fn mfa_page(
    Ctx {
        state,
        tenant,
        headers,
        text,
        ..
    }: Ctx<'_>,
    id: &str,
    challenge: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (csrf, set) = web::csrf_token(state, tenant, headers);
    let page = pages::MfaPage {
        page: pages::Layout::new(tenant, text, text.mfa_title),
        slug: tenant.slug.as_str(),
        csrf: &csrf,
        request: id,
        challenge,
        error,
    };
    let mut response = pages::render(status, &page);
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    response
}

/// The login page of a parked authorization request.
#[utoipa::path(get, path = "/t/{slug}/oauth2/login", operation_id = "oauth_login_page", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug"), RequestRef),
    responses(
        (status = 200, description = "The login form", content_type = "text/html"),
        (status = 400, description = "The request expired", content_type = "text/html"),
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
    Ok(login_page(
        Ctx {
            state: &state,
            tenant: &tenant,
            headers: &headers,
            text,
            providers: upstreams(&state, &tenant).await?,
        },
        &request,
        &r.request,
        None,
        StatusCode::OK,
    ))
}

/// Logged in: remember the browser and go on with the request.
pub(super) async fn logged_in(
    state: &AppState,
    tenant: &Tenant,
    id: &str,
    mut request: AuthorizationRequest,
    session: &Session,
) -> Result<Response, Problem> {
    let cookie = state.oidc.browser().open(&tenant.id, session).await?;
    let age = session
        .expires_at
        .duration_since(state.clock.now())
        .as_secs();
    let set = web::set_cookie(
        state,
        tenant,
        LOGIN_COOKIE,
        &cookie,
        Some(i64::try_from(age).unwrap_or(0)),
    );
    request.prompt.remove("login");
    request.max_age = None;
    state.oidc.repark(tenant, id, &request).await?;
    let next = state
        .oidc
        .proceed(tenant, &request, Some(session), true, false)
        .await?;
    go(
        state,
        tenant,
        &request,
        Some(id),
        next,
        vec![(header::SET_COOKIE, set)],
    )
    .await
}

/// Submits the login form.
#[utoipa::path(post, path = "/t/{slug}/oauth2/login", operation_id = "oauth_login", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`csrf`, `request`, `login`, `password`"),
    responses(
        (status = 303, description = "Logged in: on with the request"),
        (status = 200, description = "The MFA step", content_type = "text/html"),
        (status = 401, description = "Wrong login or password (the form again)", content_type = "text/html"),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    client: ClientInfo,
    Form(form): Form<LoginForm>,
) -> Result<Response, Problem> {
    let (request, text) = match submitted(
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
    let login = Login {
        login: form.login,
        password: SecretString::new(form.password),
        fingerprint: client.fingerprint,
        ip: client.ip,
        trusted_device: web::cookie(&headers, TRUSTED_COOKIE),
    };
    match state.oidc.auth().sign_in(&tenant, &login).await {
        Ok(SignIn::Session(done)) => {
            let (_, session) = *done;
            logged_in(&state, &tenant, &form.request, request, &session).await
        }
        Ok(SignIn::MfaRequired { challenge_id, .. }) => Ok(mfa_page(
            Ctx {
                state: &state,
                tenant: &tenant,
                headers: &headers,
                text,
                providers: Vec::new(),
            },
            &form.request,
            &challenge_id,
            None,
            StatusCode::OK,
        )),
        Err(e) => {
            let (message, status) = match e.kind() {
                ErrorKind::RateLimited => (text.locked, StatusCode::TOO_MANY_REQUESTS),
                ErrorKind::Unauthenticated => (text.wrong_login, StatusCode::UNAUTHORIZED),
                ErrorKind::Forbidden => (e.message(), StatusCode::FORBIDDEN),
                _ => return Err(Problem(e)),
            };
            Ok(login_page(
                Ctx {
                    state: &state,
                    tenant: &tenant,
                    headers: &headers,
                    text,
                    providers: upstreams(&state, &tenant).await?,
                },
                &request,
                &form.request,
                Some(message),
                status,
            ))
        }
    }
}

/// Submits the MFA step.
#[utoipa::path(post, path = "/t/{slug}/oauth2/login/mfa", operation_id = "oauth_login_mfa", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`csrf`, `request`, `challenge`, `code`, `trust_device`"),
    responses(
        (status = 303, description = "Verified: on with the request"),
        (status = 401, description = "A wrong code (the form again)", content_type = "text/html"),
    ))]
pub async fn mfa(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    client: ClientInfo,
    Form(form): Form<MfaForm>,
) -> Result<Response, Problem> {
    let (request, text) = match submitted(
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
    let trust = form.trust_device.is_some();
    match state
        .oidc
        .auth()
        .verify_mfa_session(&tenant, &form.challenge, form.code.trim(), trust, client.ip)
        .await
    {
        Ok((_, session, trusted)) => {
            let mut response = logged_in(&state, &tenant, &form.request, request, &session).await?;
            if let Some(token) = trusted {
                let days = caas_auth::AuthSettings::of(&tenant.settings)?.trusted_device_days;
                let cookie = web::set_cookie(
                    &state,
                    &tenant,
                    TRUSTED_COOKIE,
                    token.expose(),
                    Some(i64::from(days) * 86_400),
                );
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            Ok(response)
        }
        Err(e) if e.kind() == ErrorKind::Unauthenticated => Ok(mfa_page(
            Ctx {
                state: &state,
                tenant: &tenant,
                headers: &headers,
                text,
                providers: Vec::new(),
            },
            &form.request,
            &form.challenge,
            Some(text.wrong_code),
            StatusCode::UNAUTHORIZED,
        )),
        Err(e) if matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::RateLimited) => Ok(
            pages::error(&tenant, text, StatusCode::BAD_REQUEST, e.message()),
        ),
        Err(e) => Err(Problem(e)),
    }
}

/// The guest form.
#[derive(Debug, Deserialize)]
pub struct GuestForm {
    csrf: Option<String>,
    request: String,
}

/// Continues as a guest, when the tenant allows guests.
#[utoipa::path(post, path = "/t/{slug}/oauth2/login/guest", operation_id = "oauth_login_guest", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`csrf`, `request`"),
    responses(
        (status = 303, description = "A guest session: on with the request"),
        (status = 403, description = "The tenant does not allow guests", content_type = "text/html"),
    ))]
pub async fn guest(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    client: ClientInfo,
    Form(form): Form<GuestForm>,
) -> Result<Response, Problem> {
    let (request, text) = match submitted(
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
    match state
        .oidc
        .auth()
        .guest_session(&tenant, client.fingerprint)
        .await
    {
        Ok(session) => logged_in(&state, &tenant, &form.request, request, &session).await,
        Err(e) if e.kind() == ErrorKind::Forbidden => Ok(pages::error(
            &tenant,
            text,
            StatusCode::FORBIDDEN,
            e.message(),
        )),
        Err(e) => Err(Problem(e)),
    }
}
