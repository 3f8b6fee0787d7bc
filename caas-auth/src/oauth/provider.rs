//! [`Provider`]: a tenant's OAuth 2.0 authorization server and OpenID
//! Provider, over the parts of [`Auth`]. The server's routes parse HTTP and
//! call one method each: discovery, the authorization decision (login,
//! consent, code), the token endpoint's four grants, introspection (RFC
//! 7662), revocation (RFC 7009), userinfo and RP-initiated logout.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_core::{
    Db, Error, KvKey, Namespace, PrincipalKind, Result, SharedKvStore, Tenant, new_id,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha512};
use uuid::Uuid;

use super::authorize::{self, AuthorizationRequest, AuthorizeError, AuthorizeParams};
use super::browser::BrowserSessions;
use super::client_auth::{self, ClientCredentials};
use super::clients::{ClientType, GrantType, OAuthClient};
use super::codes::{AuthorizationCodes, CodeGrant, Redeemed};
use super::consent::Consents;
use super::pkce;
use crate::attenuation::Attenuation;
use crate::opaque;
use crate::revocation::Revoked;
use crate::service::{Auth, SignIn, roles};
use crate::sessions::{EndReason, Fingerprint, NewSession, Session};
use crate::settings::AuthSettings;
use crate::tokens::{SigningAlgorithm, TokenRequest};
use crate::users::{User, UserStatus};
use crate::{Login, refresh};

/// How long a parked authorization request waits for the user.
const PARKED_TTL: Duration = Duration::from_secs(900);

/// The client scope with which a tenant administrator lets a confidential
/// client introspect every token of the tenant (RFC 7662 §4), not only
/// those issued to it or naming it in their audience.
pub const INTROSPECT_SCOPE: &str = "tokens:introspect";

/// What the authorization endpoint does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Show the login page.
    Login,
    /// Show the consent screen.
    Consent,
    /// Redirect the browser to the client (a code, or an error).
    Redirect(String),
}

/// The body of `POST {issuer}/oauth2/token` (besides client credentials).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenParams {
    /// `authorization_code`, `refresh_token`, `client_credentials`, `password`.
    pub grant_type: Option<String>,
    /// The authorization code.
    pub code: Option<String>,
    /// The redirect URI of the authorization request.
    pub redirect_uri: Option<String>,
    /// The PKCE verifier.
    pub code_verifier: Option<String>,
    /// The refresh token.
    pub refresh_token: Option<String>,
    /// Requested scopes.
    pub scope: Option<String>,
    /// The API (RFC 8707).
    pub resource: Option<String>,
    /// Password grant: the login.
    pub username: Option<String>,
    /// Password grant: the password.
    pub password: Option<String>,
    /// The client's address (set by the server, not read from the form):
    /// the password grant's lockout per IP.
    #[serde(skip)]
    pub ip: Option<std::net::IpAddr>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// Seconds.
    pub expires_in: u64,
    /// A refresh token (with `offline_access`, or for first-party clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The ID token (with `openid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Granted scopes.
    pub scope: String,
}

/// What RP-initiated logout asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutPlan {
    /// Where to send the browser afterwards (registered for the client), with `state`.
    pub redirect: Option<String>,
    /// The client's name, when known.
    pub client_name: Option<String>,
}

/// The query of `GET {issuer}/oauth2/logout`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogoutParams {
    /// An ID token the provider issued (expired ones are accepted).
    pub id_token_hint: Option<String>,
    /// Where to return; must be registered for the client.
    pub post_logout_redirect_uri: Option<String>,
    /// The client (when no hint).
    pub client_id: Option<String>,
    /// Returned unchanged.
    pub state: Option<String>,
    /// Preferred languages.
    pub ui_locales: Option<String>,
}

/// The grant a refresh-token family carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Grant {
    scopes: Vec<String>,
    audience: Vec<String>,
    auth_time: i64,
    amr: Vec<String>,
    browser_session: Option<Uuid>,
    /// The client's refresh-token lifetime, when it sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_ttl_secs: Option<u64>,
}

/// Who a grant is for: a user of the tenant, or a guest (no account).
#[derive(Debug, Clone)]
enum Holder {
    User(Box<User>),
    Guest(String),
}

impl Holder {
    fn subject(&self) -> String {
        match self {
            Holder::User(u) => u.id.to_string(),
            Holder::Guest(g) => g.clone(),
        }
    }

    fn kind(&self) -> PrincipalKind {
        match self {
            Holder::User(_) => PrincipalKind::User,
            Holder::Guest(_) => PrincipalKind::Guest,
        }
    }

    /// Profile and email claims for `scopes` (none for guests).
    fn claims(&self, scopes: &[String]) -> Map<String, Value> {
        match self {
            Holder::User(u) => user_claims(u, scopes),
            Holder::Guest(_) => Map::new(),
        }
    }
}

fn oauth(code: &'static str, message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::invalid_input(message).with_code(code)
}

/// A tenant's OAuth 2.0 / OpenID Connect provider.
#[derive(Debug, Clone)]
pub struct Provider {
    auth: Auth,
    kv: SharedKvStore,
    codes: AuthorizationCodes,
    consents: Consents,
    browser: BrowserSessions,
}

impl Provider {
    /// A provider over `auth`'s parts; codes, parked requests and browser
    /// logins in `kv`, consents in `db`.
    pub fn new(auth: Auth, kv: SharedKvStore, db: Db) -> Self {
        let p = auth.parts();
        Provider {
            codes: AuthorizationCodes::new(kv.clone(), p.clock.clone()),
            consents: Consents::new(db, p.clock.clone()),
            browser: BrowserSessions::new(kv.clone(), p.sessions.clone(), p.clock.clone()),
            kv,
            auth,
        }
    }

    /// The authentication flows.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Browser logins.
    pub fn browser(&self) -> &BrowserSessions {
        &self.browser
    }

    /// Remembered consents.
    pub fn consents(&self) -> &Consents {
        &self.consents
    }

    /// The tenant's issuer URL.
    pub fn issuer(&self, tenant: &Tenant) -> String {
        self.auth.parts().tokens.issuer(tenant)
    }

    /// `{issuer}{path}`.
    pub fn endpoint(&self, tenant: &Tenant, path: &str) -> String {
        format!("{}{path}", self.issuer(tenant))
    }

    /// The discovery document (OIDC Discovery 1.0, RFC 8414).
    pub async fn discovery(&self, tenant: &Tenant) -> Result<Value> {
        let issuer = self.issuer(tenant);
        let e = |p: &str| format!("{issuer}{p}");
        let algorithm = self
            .auth
            .parts()
            .tokens
            .keys()
            .signer(&tenant.id)
            .await?
            .signing
            .1;
        let mut grants = vec!["authorization_code", "refresh_token", "client_credentials"];
        if AuthSettings::of(&tenant.settings)?.allow_password_grant {
            grants.push("password");
        }
        Ok(json!({
            "issuer": issuer,
            "authorization_endpoint": e("/oauth2/authorize"),
            "token_endpoint": e("/oauth2/token"),
            "userinfo_endpoint": e("/oauth2/userinfo"),
            "jwks_uri": e("/.well-known/jwks.json"),
            "end_session_endpoint": e("/oauth2/logout"),
            "introspection_endpoint": e("/oauth2/introspect"),
            "revocation_endpoint": e("/oauth2/revoke"),
            "scopes_supported": authorize::STANDARD_SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": grants,
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [algorithm.as_str()],
            "token_endpoint_auth_methods_supported":
                ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
            "introspection_endpoint_auth_methods_supported":
                ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "revocation_endpoint_auth_methods_supported":
                ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "code_challenge_methods_supported": ["S256"],
            "prompt_values_supported": ["none", "login", "consent"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr",
                "amr", "at_hash", "sid", "azp", "name", "preferred_username", "updated_at",
                "email", "email_verified"],
            "ui_locales_supported": ["en", "sl"],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "authorization_response_iss_parameter_supported": true,
        }))
    }

    // ---- The authorization endpoint ----

    /// Checks an authorization request.
    pub async fn check_authorize(
        &self,
        tenant: &Tenant,
        params: &AuthorizeParams,
    ) -> Result<std::result::Result<AuthorizationRequest, AuthorizeError>> {
        let client = match params.client_id.as_deref() {
            Some(id) if !id.is_empty() && id.len() <= 128 => {
                self.auth.parts().clients.get(&tenant.id, id).await?
            }
            _ => None,
        };
        Ok(authorize::check(
            params,
            client.as_ref(),
            &self.issuer(tenant),
        ))
    }

    fn parked_key(tenant: &Tenant, id: &str) -> Result<KvKey> {
        Namespace::Tenant(tenant.id).key(&format!("oauth:request:{}", opaque::digest(id)))
    }

    /// Parks `request` while the user logs in; returns its id (a secret).
    pub async fn park(&self, tenant: &Tenant, request: &AuthorizationRequest) -> Result<String> {
        let id = opaque::token("");
        self.kv
            .set(
                &Self::parked_key(tenant, &id)?,
                &serde_json::to_vec(request)?,
                Some(PARKED_TTL),
            )
            .await?;
        Ok(id)
    }

    /// The parked request `id` (`None`: unknown or expired).
    pub async fn parked(&self, tenant: &Tenant, id: &str) -> Result<Option<AuthorizationRequest>> {
        if id.len() != 43 {
            return Ok(None);
        }
        let Some(body) = self.kv.get(&Self::parked_key(tenant, id)?).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&body).ok())
    }

    /// Replaces the parked request `id` (the user just logged in: `prompt=login`
    /// and `max_age` are satisfied).
    pub async fn repark(
        &self,
        tenant: &Tenant,
        id: &str,
        request: &AuthorizationRequest,
    ) -> Result<()> {
        self.kv
            .set(
                &Self::parked_key(tenant, id)?,
                &serde_json::to_vec(request)?,
                Some(PARKED_TTL),
            )
            .await
    }

    /// Forgets the parked request `id` (it was answered).
    pub async fn unpark(&self, tenant: &Tenant, id: &str) -> Result<()> {
        if id.len() == 43 {
            self.kv.delete(&Self::parked_key(tenant, id)?).await?;
        }
        Ok(())
    }

    /// The error redirect for `request`.
    pub fn refuse(
        &self,
        tenant: &Tenant,
        request: &AuthorizationRequest,
        error: &str,
        why: &str,
    ) -> String {
        authorize::error_redirect(
            &request.redirect_uri,
            request.state.as_deref(),
            &self.issuer(tenant),
            error,
            why,
        )
    }

    /// Decides what happens to `request` for the browser's login
    /// `session`: `fresh` when the user just logged in on the provider's
    /// page, `consented` when they just allowed the client.
    pub async fn proceed(
        &self,
        tenant: &Tenant,
        request: &AuthorizationRequest,
        session: Option<&Session>,
        fresh: bool,
        consented: bool,
    ) -> Result<Next> {
        let p = self.auth.parts();
        let now = p.clock.now();
        let none = request.prompt.contains("none");
        let too_old = |s: &Session| {
            request
                .max_age
                .is_some_and(|age| now.as_secs() > s.auth_time.as_secs().saturating_add(age))
        };
        let usable = session.filter(|s| {
            matches!(s.kind, PrincipalKind::User | PrincipalKind::Guest)
                && (fresh || (!too_old(s) && !request.prompt.contains("login")))
        });
        let holder = match usable {
            Some(s) => self.holder(tenant, s.kind, &s.user_id).await?,
            None => None,
        };
        let (Some(session), Some(holder)) = (usable, holder) else {
            if none {
                return Ok(Next::Redirect(self.refuse(
                    tenant,
                    request,
                    "login_required",
                    "the user is not logged in",
                )));
            }
            return Ok(Next::Login);
        };
        let uid = holder.subject();
        if !request.first_party && !consented {
            let remembered = !request.prompt.contains("consent")
                && self
                    .consents
                    .covers(&tenant.id, &uid, &request.client_id, &request.scopes)
                    .await?;
            if !remembered {
                if none {
                    return Ok(Next::Redirect(self.refuse(
                        tenant,
                        request,
                        "consent_required",
                        "the user has not allowed this client",
                    )));
                }
                return Ok(Next::Consent);
            }
        }
        if consented {
            self.consents
                .grant(&tenant.id, &uid, &request.client_id, &request.scopes)
                .await?;
        }
        let code = self
            .codes
            .issue(
                &tenant.id,
                CodeGrant {
                    client_id: request.client_id.clone(),
                    redirect_uri: request.redirect_uri.clone(),
                    user_id: uid,
                    guest: holder.kind() == PrincipalKind::Guest,
                    browser_session: session.id,
                    scopes: request.scopes.clone(),
                    audience: request.audience.clone(),
                    nonce: request.nonce.clone(),
                    code_challenge: request.code_challenge.clone(),
                    auth_time: session.auth_time.as_secs(),
                    amr: session.amr.clone(),
                },
            )
            .await?;
        let mut params = vec![("code", code.as_str())];
        if let Some(state) = request.state.as_deref() {
            params.push(("state", state));
        }
        Ok(Next::Redirect(authorize::redirect_url(
            &request.redirect_uri,
            &self.issuer(tenant),
            &params,
        )))
    }

    // ---- The token endpoint ----

    /// Authenticates the client of a request at one of the provider's endpoints.
    pub async fn client(
        &self,
        tenant: &Tenant,
        credentials: &ClientCredentials,
    ) -> Result<OAuthClient> {
        let audiences = [
            self.endpoint(tenant, "/oauth2/token"),
            self.endpoint(tenant, "/oauth2/introspect"),
            self.endpoint(tenant, "/oauth2/revoke"),
            self.issuer(tenant),
        ];
        client_auth::authenticate(
            &self.auth.parts().clients,
            &self.kv,
            &tenant.id,
            credentials,
            &audiences,
        )
        .await
    }

    /// The token endpoint.
    pub async fn token(
        &self,
        tenant: &Tenant,
        credentials: &ClientCredentials,
        params: &TokenParams,
    ) -> Result<TokenResponse> {
        let grant = params
            .grant_type
            .as_deref()
            .ok_or_else(|| oauth("invalid_request", "`grant_type` is missing"))?;
        let wanted = match grant {
            "authorization_code" => GrantType::AuthorizationCode,
            "refresh_token" => GrantType::RefreshToken,
            "client_credentials" => GrantType::ClientCredentials,
            "password" => GrantType::Password,
            _ => {
                return Err(oauth(
                    "unsupported_grant_type",
                    "the grant type is not supported",
                ));
            }
        };
        let client = self.client(tenant, credentials).await?;
        if !client.settings.grant_types.contains(&wanted) {
            return Err(oauth(
                "unauthorized_client",
                "this client may not use this grant type",
            ));
        }
        match wanted {
            GrantType::AuthorizationCode => self.code_grant(tenant, &client, params).await,
            GrantType::RefreshToken => self.refresh_grant(tenant, &client, params).await,
            GrantType::ClientCredentials => self.client_grant(tenant, &client, params).await,
            GrantType::Password => self.password_grant(tenant, &client, params).await,
        }
    }

    fn audience(&self, tenant: &Tenant, client: &OAuthClient, asked: &[String]) -> Vec<String> {
        if !asked.is_empty() {
            return asked.to_vec();
        }
        if client.settings.first_party {
            // First-party clients call the tenant's own API.
            return Vec::new();
        }
        if !client.settings.audiences.is_empty() {
            return client.settings.audiences.clone();
        }
        // Not the platform's audience: a third-party token opens only the
        // provider's own endpoints (userinfo) until it names an API.
        vec![self.issuer(tenant)]
    }

    fn resource(client: &OAuthClient, params: &TokenParams) -> Result<Vec<String>> {
        match params.resource.as_deref().filter(|r| !r.is_empty()) {
            None => Ok(Vec::new()),
            Some(r) if client.settings.audiences.iter().any(|a| a == r) => Ok(vec![r.to_owned()]),
            Some(_) => Err(oauth(
                "invalid_target",
                "the requested `resource` is not allowed for this client",
            )),
        }
    }

    /// The holder of a session or grant: an active user, or a guest.
    async fn holder(
        &self,
        tenant: &Tenant,
        kind: PrincipalKind,
        id: &str,
    ) -> Result<Option<Holder>> {
        match kind {
            PrincipalKind::User => Ok(self
                .active_user(tenant, id)
                .await?
                .map(|u| Holder::User(Box::new(u)))),
            PrincipalKind::Guest if id.starts_with("guest:") => {
                Ok(Some(Holder::Guest(id.to_owned())))
            }
            _ => Ok(None),
        }
    }

    async fn active_user(&self, tenant: &Tenant, id: &str) -> Result<Option<User>> {
        let Ok(id) = id.parse::<Uuid>() else {
            return Ok(None);
        };
        Ok(self
            .auth
            .parts()
            .users
            .get(&tenant.id, id)
            .await?
            .filter(|u| u.status == UserStatus::Active))
    }

    async fn code_grant(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        params: &TokenParams,
    ) -> Result<TokenResponse> {
        let p = self.auth.parts();
        let code = params
            .code
            .as_deref()
            .ok_or_else(|| oauth("invalid_request", "`code` is missing"))?;
        let verifier = params.code_verifier.as_deref().ok_or_else(|| {
            oauth(
                "invalid_request",
                "`code_verifier` is missing: PKCE is required",
            )
        })?;
        let sid = new_id(p.clock.as_ref());
        let grant = match self.codes.redeem(&tenant.id, code, sid).await? {
            Redeemed::Fresh(g) => *g,
            Redeemed::Reused(first) => {
                self.end_grant(tenant, first).await?;
                return Err(oauth(
                    "invalid_grant",
                    "the authorization code was already used: the tokens issued for it were revoked",
                ));
            }
        };
        if grant.client_id != client.id {
            self.end_grant(tenant, sid).await?;
            return Err(oauth(
                "invalid_grant",
                "the authorization code was issued to another client",
            ));
        }
        if params.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
            self.end_grant(tenant, sid).await?;
            return Err(oauth(
                "invalid_grant",
                "`redirect_uri` differs from the authorization request's",
            ));
        }
        if !pkce::verify(verifier, &grant.code_challenge) {
            self.end_grant(tenant, sid).await?;
            return Err(oauth(
                "invalid_grant",
                "the PKCE `code_verifier` does not match the challenge",
            ));
        }
        let kind = if grant.guest {
            PrincipalKind::Guest
        } else {
            PrincipalKind::User
        };
        let Some(holder) = self.holder(tenant, kind, &grant.user_id).await? else {
            return Err(oauth("invalid_grant", "the user is no longer active"));
        };
        let mut metadata = Map::new();
        metadata.insert("client_id".into(), Value::String(client.id.clone()));
        let session = p
            .sessions
            .create_with_id(
                &tenant.id,
                sid,
                &NewSession {
                    user_id: grant.user_id.clone(),
                    kind,
                    fingerprint: Fingerprint::default(),
                    metadata,
                    amr: grant.amr.clone(),
                },
            )
            .await?;
        let carried = Grant {
            scopes: grant.scopes.clone(),
            audience: grant.audience.clone(),
            auth_time: grant.auth_time,
            amr: grant.amr.clone(),
            browser_session: Some(grant.browser_session),
            refresh_ttl_secs: client.settings.refresh_token_ttl_secs,
        };
        let response = self
            .user_tokens(
                tenant,
                client,
                &holder,
                &session,
                &carried,
                grant.nonce.as_deref(),
                true,
            )
            .await?;
        if self.codes.was_reused(&tenant.id, code).await? {
            self.end_grant(tenant, sid).await?;
            return Err(oauth(
                "invalid_grant",
                "the authorization code was used twice: the tokens issued for it were revoked",
            ));
        }
        Ok(response)
    }

    /// Ends a grant's session: its refresh tokens and access tokens die.
    async fn end_grant(&self, tenant: &Tenant, sid: Uuid) -> Result<()> {
        let p = self.auth.parts();
        p.tokens
            .revocations()
            .revoke(&tenant.id, Revoked::Session(&sid.to_string()))
            .await?;
        p.refresh
            .revoke_session(&tenant.id, sid, "code_reuse")
            .await?;
        p.sessions
            .end(&tenant.id, sid, EndReason::Terminated)
            .await?;
        Ok(())
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the pieces of one token response, each needed"
    )]
    async fn user_tokens(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        holder: &Holder,
        session: &Session,
        grant: &Grant,
        nonce: Option<&str>,
        new_family: bool,
    ) -> Result<TokenResponse> {
        let p = self.auth.parts();
        let first_party = client.settings.first_party;
        let settings = AuthSettings::of(&tenant.settings)?;
        let mut ttl = client
            .settings
            .access_token_ttl_secs
            .map(Duration::from_secs);
        let roles = match holder {
            Holder::User(user) if first_party => roles(user),
            _ => Vec::new(),
        };
        if let Holder::Guest(_) = holder {
            let guest = Duration::from_secs(settings.guest_ttl_secs);
            ttl = Some(ttl.map_or(guest, |t| t.min(guest)));
        }
        // Requested ∩ client-allowed (the grant) ∩ what the holder may do:
        // a scope never grants the user a right they lack.
        let owner = match holder {
            Holder::User(user) => Attenuation::user_principal(user),
            Holder::Guest(_) => {
                caas_core::Principal::new(holder.subject(), Some(tenant.id), holder.kind())
            }
        };
        let mut grant = grant.clone();
        grant.scopes = self
            .auth
            .attenuation()
            .cap(&tenant.id, &owner, &grant.scopes)
            .await?;
        let grant = &grant;
        let request = TokenRequest {
            session: Some(session.id.to_string()),
            scopes: grant.scopes.clone(),
            roles,
            amr: grant.amr.clone(),
            auth_time: Some(caas_core::Timestamp::from_millis(
                grant.auth_time.saturating_mul(1000),
            )),
            audience: self.audience(tenant, client, &grant.audience),
            client_id: Some(client.id.clone()),
            ttl,
            ..TokenRequest::new(holder.subject(), holder.kind())
        };
        let issued = p
            .tokens
            .issue_as(tenant, &request, settings.token_format)
            .await?;
        // Guests get no refresh tokens (as on the first-party routes).
        let refresh = if new_family
            && matches!(holder, Holder::User(_))
            && client
                .settings
                .grant_types
                .contains(&GrantType::RefreshToken)
            && (grant.scopes.iter().any(|s| s == "offline_access") || first_party)
        {
            let data = serde_json::to_value(grant)?;
            Some(
                p.refresh
                    .issue_for(&tenant.id, session, Some((&client.id, &data)))
                    .await?
                    .token,
            )
        } else {
            None
        };
        let id_token = if grant.scopes.iter().any(|s| s == "openid") {
            Some(
                self.id_token(tenant, client, holder, grant, nonce, Some(&issued.token))
                    .await?,
            )
        } else {
            None
        };
        Ok(TokenResponse {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: u64::try_from(issued.claims.exp - issued.claims.iat).unwrap_or(0),
            refresh_token: refresh.map(|r| r.expose().clone()),
            id_token,
            scope: grant.scopes.join(" "),
        })
    }

    async fn id_token(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        holder: &Holder,
        grant: &Grant,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<String> {
        let p = self.auth.parts();
        let now = p.clock.now().as_secs();
        let ttl = i64::try_from(p.tokens.config().access_ttl.as_secs()).unwrap_or(900);
        let has = |m: &str| grant.amr.iter().any(|a| a == m);
        let acr = if has("mfa") {
            "urn:caas:acr:mfa"
        } else if has("fed") {
            "urn:caas:acr:fed"
        } else {
            "urn:caas:acr:pwd"
        };
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer(tenant)));
        claims.insert("sub".into(), json!(holder.subject()));
        claims.insert("aud".into(), json!(client.id));
        claims.insert("azp".into(), json!(client.id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now.saturating_add(ttl)));
        claims.insert("auth_time".into(), json!(grant.auth_time));
        claims.insert("acr".into(), json!(acr));
        if !grant.amr.is_empty() {
            claims.insert("amr".into(), json!(grant.amr));
        }
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        if let Some(sid) = grant.browser_session {
            claims.insert("sid".into(), json!(sid.to_string()));
        }
        claims.extend(holder.claims(&grant.scopes));
        let algorithm = p.tokens.keys().signer(&tenant.id).await?.signing.1;
        if let Some(at) = access_token {
            claims.insert("at_hash".into(), json!(half_hash(algorithm, at)));
        }
        let (token, _) = p.tokens.sign_json(tenant, &Value::Object(claims)).await?;
        Ok(token)
    }

    async fn refresh_grant(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        params: &TokenParams,
    ) -> Result<TokenResponse> {
        let p = self.auth.parts();
        let presented = params
            .refresh_token
            .as_deref()
            .ok_or_else(|| oauth("invalid_request", "`refresh_token` is missing"))?;
        // Scopes are checked before the token is spent: a refused request
        // must not consume it.
        if let Some(info) = p.refresh.inspect(&tenant.id, presented).await?
            && info.client_id.as_deref() == Some(client.id.as_str())
            && let Some(grant) = info
                .grant
                .and_then(|g| serde_json::from_value::<Grant>(g).ok())
        {
            authorize::narrow(params.scope.as_deref(), &grant.scopes)?;
        }
        let rotated = p
            .refresh
            .rotate_for(&tenant.id, presented, Some(&client.id))
            .await
            .map_err(|e| oauth("invalid_grant", e.message().to_owned()))?;
        let mut grant: Grant = rotated
            .grant
            .clone()
            .and_then(|g| serde_json::from_value(g).ok())
            .ok_or_else(|| Error::internal("a refresh family has no readable grant"))?;
        let Some(user) = self.active_user(tenant, &rotated.session.user_id).await? else {
            p.sessions
                .end(&tenant.id, rotated.session.id, EndReason::Terminated)
                .await?;
            return Err(oauth("invalid_grant", "the user is no longer active"));
        };
        grant.scopes = authorize::narrow(params.scope.as_deref(), &grant.scopes)?;
        let mut response = self
            .user_tokens(
                tenant,
                client,
                &Holder::User(Box::new(user)),
                &rotated.session,
                &grant,
                None,
                false,
            )
            .await?;
        response.refresh_token = Some(rotated.refresh.token.expose().clone());
        Ok(response)
    }

    async fn client_grant(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        params: &TokenParams,
    ) -> Result<TokenResponse> {
        if client.settings.client_type != ClientType::Confidential {
            return Err(oauth(
                "unauthorized_client",
                "a public client cannot use client credentials",
            ));
        }
        let scopes = authorize::narrow(params.scope.as_deref(), &client.settings.scopes)?;
        let asked = Self::resource(client, params)?;
        let request = TokenRequest {
            scopes: scopes.clone(),
            audience: self.audience(tenant, client, &asked),
            client_id: Some(client.id.clone()),
            ttl: client
                .settings
                .access_token_ttl_secs
                .map(Duration::from_secs),
            ..TokenRequest::new(client.id.clone(), PrincipalKind::Service)
        };
        let p = self.auth.parts();
        let format = AuthSettings::of(&tenant.settings)?.token_format;
        let issued = p.tokens.issue_as(tenant, &request, format).await?;
        Ok(TokenResponse {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: u64::try_from(issued.claims.exp - issued.claims.iat).unwrap_or(0),
            refresh_token: None,
            id_token: None,
            scope: scopes.join(" "),
        })
    }

    async fn password_grant(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        params: &TokenParams,
    ) -> Result<TokenResponse> {
        if !AuthSettings::of(&tenant.settings)?.allow_password_grant || !client.settings.first_party
        {
            return Err(oauth(
                "unauthorized_client",
                "the password grant is not enabled for this tenant and client",
            ));
        }
        let (Some(username), Some(password)) =
            (params.username.as_deref(), params.password.as_deref())
        else {
            return Err(oauth(
                "invalid_request",
                "`username` and `password` are required",
            ));
        };
        let mut allowed: Vec<String> = authorize::STANDARD_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        allowed.extend(client.settings.scopes.iter().cloned());
        let scopes = match params.scope.as_deref() {
            None | Some("") => Vec::new(),
            s => authorize::narrow(s, &allowed)?,
        };
        let asked = Self::resource(client, params)?;
        let login = Login {
            login: username.to_owned(),
            password: caas_core::SecretString::new(password.to_owned()),
            fingerprint: Fingerprint::default(),
            ip: params.ip,
            trusted_device: None,
        };
        let (user, session) = match self.auth.sign_in(tenant, &login).await {
            Ok(SignIn::Session(done)) => *done,
            Ok(SignIn::MfaRequired { .. }) => {
                return Err(oauth(
                    "invalid_grant",
                    "this account needs a second factor: use the authorization-code flow",
                ));
            }
            Err(e) if e.kind() == caas_core::ErrorKind::RateLimited => return Err(e),
            Err(e) => return Err(oauth("invalid_grant", e.message().to_owned())),
        };
        let grant = Grant {
            scopes,
            audience: asked,
            auth_time: session.auth_time.as_secs(),
            amr: session.amr.clone(),
            browser_session: None,
            refresh_ttl_secs: client.settings.refresh_token_ttl_secs,
        };
        self.user_tokens(
            tenant,
            client,
            &Holder::User(Box::new(user)),
            &session,
            &grant,
            None,
            true,
        )
        .await
    }

    // ---- Introspection, revocation, userinfo, logout ----

    /// RFC 7662: what `token` is, for an authenticated client of the tenant
    /// (public clients may not introspect). Anything unknown, expired,
    /// revoked or of another tenant is `{"active": false}` — and so is a
    /// token that was neither issued to the caller nor names it in its
    /// audience, unless an administrator gave the client the scope
    /// [`INTROSPECT_SCOPE`].
    pub async fn introspect(
        &self,
        tenant: &Tenant,
        credentials: &ClientCredentials,
        token: Option<&str>,
    ) -> Result<Value> {
        let client = self.client(tenant, credentials).await?;
        if client.settings.client_type == ClientType::Public {
            return Err(client_auth::invalid_client());
        }
        let token = token.ok_or_else(|| oauth("invalid_request", "`token` is missing"))?;
        let may_introspect_all = client.settings.scopes.iter().any(|s| s == INTROSPECT_SCOPE);
        let p = self.auth.parts();
        if token.starts_with(refresh::PREFIX) {
            let Some(info) = p.refresh.inspect(&tenant.id, token).await? else {
                return Ok(json!({ "active": false }));
            };
            if !(may_introspect_all || info.client_id.as_deref() == Some(client.id.as_str())) {
                return Ok(json!({ "active": false }));
            }
            let grant: Option<Grant> = info.grant.and_then(|g| serde_json::from_value(g).ok());
            return Ok(json!({
                "active": true,
                "token_type": "refresh_token",
                "client_id": info.client_id,
                "sub": info.user_id,
                "scope": grant.map(|g| g.scopes.join(" ")).unwrap_or_default(),
                "iat": info.issued_at.as_secs(),
                "exp": info.expires_at.as_secs(),
                "iss": self.issuer(tenant),
                "sid": info.session_id.to_string(),
            }));
        }
        match p.tokens.verify_any_audience(token, tenant).await {
            Ok(c)
                if !(may_introspect_all
                    || c.aud.0.contains(&client.id)
                    || c.client_id.as_deref() == Some(client.id.as_str())) =>
            {
                Ok(json!({ "active": false }))
            }
            Ok(c) => Ok(json!({
                "active": true,
                "token_type": "Bearer",
                "scope": c.scope,
                "client_id": c.client_id,
                "sub": c.sub,
                "aud": c.aud,
                "iss": c.iss,
                "exp": c.exp,
                "iat": c.iat,
                "nbf": c.nbf,
                "jti": c.jti,
                "sid": c.sid,
                "kind": c.kind,
                "tenant_id": c.tenant_id,
            })),
            Err(e) if e.kind() == caas_core::ErrorKind::Unauthenticated => {
                Ok(json!({ "active": false }))
            }
            Err(e) => Err(e),
        }
    }

    /// RFC 7009: revokes `token` if it was issued to the authenticated
    /// client (a refresh token: its whole family; an access token: itself).
    /// Unknown tokens, and other clients' tokens, change nothing and are
    /// answered the same way.
    pub async fn revoke(
        &self,
        tenant: &Tenant,
        credentials: &ClientCredentials,
        token: Option<&str>,
    ) -> Result<()> {
        let client = self.client(tenant, credentials).await?;
        let token = token.ok_or_else(|| oauth("invalid_request", "`token` is missing"))?;
        let p = self.auth.parts();
        if token.starts_with(refresh::PREFIX) {
            if let Some(info) = p.refresh.inspect(&tenant.id, token).await?
                && info.client_id.as_deref() == Some(client.id.as_str())
            {
                p.refresh
                    .revoke_family(&tenant.id, info.family_id, "revoked_by_client")
                    .await?;
            }
            return Ok(());
        }
        if let Ok(claims) = p.tokens.verify_any_audience(token, tenant).await
            && claims.client_id.as_deref() == Some(client.id.as_str())
        {
            p.tokens
                .revocations()
                .revoke(&tenant.id, Revoked::Token(&claims.jti))
                .await?;
        }
        Ok(())
    }

    /// OIDC userinfo for an access token with the `openid` scope (401
    /// `invalid_token` otherwise).
    pub async fn userinfo(&self, tenant: &Tenant, access_token: &str) -> Result<Value> {
        let p = self.auth.parts();
        let claims = p.tokens.verify_any_audience(access_token, tenant).await?;
        let scopes: Vec<String> = claims.scope.split_whitespace().map(str::to_owned).collect();
        if !scopes.iter().any(|s| s == "openid") {
            return Err(Error::invalid_token(
                "the access token was not issued with the `openid` scope",
            ));
        }
        let Some(holder) = self.holder(tenant, claims.kind, &claims.sub).await? else {
            return Err(Error::invalid_token("the user is no longer active"));
        };
        let mut out = Map::new();
        out.insert("sub".into(), json!(holder.subject()));
        out.extend(holder.claims(&scopes));
        Ok(Value::Object(out))
    }

    /// Checks an RP-initiated logout request: the hint must be an ID token
    /// of this tenant (expired ones are accepted) and the return URI
    /// registered for its client. Errors are shown, never redirected.
    pub async fn check_logout(&self, tenant: &Tenant, params: &LogoutParams) -> Result<LogoutPlan> {
        let p = self.auth.parts();
        let mut client_id = params.client_id.clone();
        if let Some(hint) = params.id_token_hint.as_deref() {
            let claims = p
                .tokens
                .verify_own_signature(hint, tenant)
                .await
                .map_err(|_| {
                    Error::invalid_input("`id_token_hint` is not an ID token of this tenant")
                        .with_code("invalid_request")
                })?;
            let aud = match claims.get("aud") {
                Some(Value::String(a)) => Some(a.clone()),
                Some(Value::Array(a)) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
                _ => None,
            };
            if client_id.is_some() && client_id != aud {
                return Err(Error::invalid_input(
                    "`client_id` is not the audience of `id_token_hint`",
                )
                .with_code("invalid_request"));
            }
            client_id = aud;
        }
        let client = match client_id.as_deref() {
            Some(id) if id.len() <= 128 => p.clients.get(&tenant.id, id).await?,
            _ => None,
        };
        let redirect = match params.post_logout_redirect_uri.as_deref() {
            None => None,
            Some(uri) => {
                let registered = client.as_ref().is_some_and(|c| {
                    c.settings
                        .post_logout_redirect_uris
                        .iter()
                        .any(|r| r == uri)
                });
                if !registered {
                    return Err(Error::invalid_input(
                        "`post_logout_redirect_uri` is not registered for the client",
                    )
                    .with_code("invalid_request"));
                }
                let mut url = url::Url::parse(uri)
                    .map_err(|_| Error::invalid_input("`post_logout_redirect_uri` is not a URL"))?;
                if let Some(state) = params.state.as_deref() {
                    url.query_pairs_mut().append_pair("state", state);
                }
                Some(url.to_string())
            }
        };
        Ok(LogoutPlan {
            redirect,
            client_name: client.map(|c| c.settings.name),
        })
    }
}

/// The user's claims for `scopes` (`profile`, `email`).
fn user_claims(user: &User, scopes: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    if scopes.iter().any(|s| s == "profile") {
        out.insert("name".into(), json!(user.display_name));
        if let Some(u) = &user.username {
            out.insert("preferred_username".into(), json!(u));
        }
        out.insert("updated_at".into(), json!(user.updated_at.as_secs()));
    }
    if scopes.iter().any(|s| s == "email")
        && let Some(email) = &user.email
    {
        out.insert("email".into(), json!(email));
        let verified = user
            .attributes
            .get("email_verified")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        out.insert("email_verified".into(), json!(verified));
    }
    out
}

/// `at_hash`: the left half of the access token's hash with the ID token's
/// hash function (SHA-512 for Ed25519, SHA-256 otherwise), base64url.
pub fn half_hash(algorithm: SigningAlgorithm, token: &str) -> String {
    match algorithm {
        SigningAlgorithm::EdDSA => {
            let d = Sha512::digest(token.as_bytes());
            B64.encode(&d[..32])
        }
        _ => {
            let d = Sha256::digest(token.as_bytes());
            B64.encode(&d[..16])
        }
    }
}
