//! `platform.auth`: users, logins (with MFA), refresh, logout, API keys,
//! tickets and sessions — the calls `caas-server`'s auth routes make.

use caas::Platform;
use caas::auth::api_keys::ApiKeyInput;
use caas::auth::federation::ProviderSettings;
use caas::auth::sessions::EndReason;
use caas::auth::users::NewUser;
use caas::auth::{Login, LoginOutcome};
use caas::core::{Error, Result, SecretString};
use pyo3::prelude::*;
use serde::Serialize;
use uuid_text::parse_uuid;

use super::Tenant;
use crate::convert::{Data, Json};
use crate::tokens::Claims;

/// `value` as JSON data (every CAAS answer type serializes).
pub(crate) fn json<T: Serialize>(value: &T) -> Result<Json> {
    serde_json::to_value(value)
        .map(Json)
        .map_err(|e| Error::internal(format!("cannot serialize an answer: {e}")))
}

mod uuid_text {
    use caas::core::{Error, Result};

    /// `text` as a UUID; otherwise `NotFound` (an id that cannot exist).
    pub(crate) fn parse_uuid(text: &str, what: &'static str) -> Result<uuid::Uuid> {
        text.parse().map_err(|_| Error::not_found(what))
    }
}

/// `platform.auth`.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Auth {
    pub(crate) platform: Platform,
}

fn login_answer(outcome: LoginOutcome) -> Result<Json> {
    match outcome {
        LoginOutcome::Tokens(tokens) => json(&tokens),
        LoginOutcome::MfaRequired {
            challenge_id,
            methods,
        } => Ok(Json(serde_json::json!({
            "mfa_required": true,
            "challenge_id": challenge_id,
            "methods": methods,
        }))),
    }
}

/// The claims' principal, refused unless the token belongs to `tenant` and
/// was issued by its issuer: a token of one tenant never acts in another.
pub(crate) fn principal_in(
    platform: &Platform,
    tenant: &Tenant,
    claims: &Claims,
) -> Result<caas::core::Principal> {
    let c = &claims.inner.claims;
    if c.tenant_id != tenant.inner.id || c.iss != platform.auth.parts().tokens.issuer(&tenant.inner)
    {
        return Err(
            Error::invalid_token("the token belongs to another tenant").with_code("invalid_tenant")
        );
    }
    Ok(c.principal())
}

/// [`principal_in`] for calls that mint or manage credentials: the claims
/// must come from `platform.tokens.verify`, which saw revocations — a
/// logged-out token must not turn into an API key or a ticket.
fn owner_in(
    platform: &Platform,
    tenant: &Tenant,
    claims: &Claims,
) -> Result<caas::core::Principal> {
    if !claims.revocation_checked {
        return Err(Error::invalid_token(
            "credentials are minted only for claims from `platform.tokens.verify` (which checks revocation)",
        )
        .with_code("invalid_token"));
    }
    principal_in(platform, tenant, claims)
}

fn ip(text: Option<String>) -> Result<Option<std::net::IpAddr>> {
    text.map(|t| {
        t.parse()
            .map_err(|_| Error::invalid_input("`ip` is not an IP address").with_field("ip"))
    })
    .transpose()
}

crate::platform::methods!(Auth {
    /// Signs a user up with a password (the tenant must allow sign-up:
    /// `extensions.auth.allow_registration`); answers the user.
    [tenant, password, *, email = None, username = None, display_name = None]
    fn register / aregister(
        this,
        tenant: Tenant,
        password: String,
        email: Option<String>,
        username: Option<String>,
        display_name: Option<String>,
    ) -> Json {
        let new = NewUser { email, username, display_name, ..NewUser::default() };
        let user = this.auth.register(&tenant.inner, &new, &SecretString::from(password)).await?;
        json(&user)
    }

    /// Creates a user as an administrator would (no sign-up setting
    /// needed); answers the user.
    [tenant, *, password = None, email = None, username = None, display_name = None]
    fn create_user / acreate_user(
        this,
        tenant: Tenant,
        password: Option<String>,
        email: Option<String>,
        username: Option<String>,
        display_name: Option<String>,
    ) -> Json {
        let new = NewUser { email, username, display_name, ..NewUser::default() };
        let password = password.map(SecretString::from);
        let user = this.auth.create_user(&tenant.inner, &new, password.as_ref()).await?;
        json(&user)
    }

    /// The user with this id.
    [tenant, user_id]
    fn user / auser(this, tenant: Tenant, user_id: String) -> Json {
        json(&this.auth.user(&tenant.inner, &user_id).await?)
    }

    /// The user whose email or username is `login` (case-insensitive);
    /// `NotFound` when there is none.
    [tenant, login]
    fn find_user / afind_user(this, tenant: Tenant, login: String) -> Json {
        let found = this.auth.parts().users.find_by_login(&tenant.inner.id, &login).await?;
        json(&found.ok_or_else(|| Error::not_found("no such user"))?.user)
    }

    /// A password login by email or username: the tokens
    /// (`access_token`, `refresh_token`, `session_id`, …), or
    /// `{"mfa_required": True, "challenge_id": …, "methods": […]}`.
    [tenant, login, password, *, ip = None, user_agent = None]
    fn login / alogin(
        this,
        tenant: Tenant,
        login: String,
        password: String,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Json {
        let login = Login {
            login,
            password: SecretString::from(password),
            fingerprint: caas::auth::sessions::Fingerprint {
                user_agent: user_agent.unwrap_or_default(),
                ..Default::default()
            },
            ip: self::ip(ip)?,
            trusted_device: None,
        };
        login_answer(this.auth.login(&tenant.inner, &login).await?)
    }

    /// Answers a login's MFA challenge with a TOTP or backup code: the
    /// tokens.
    [tenant, challenge_id, code, *, trust_device = false]
    fn verify_mfa / averify_mfa(
        this,
        tenant: Tenant,
        challenge_id: String,
        code: String,
        trust_device: bool,
    ) -> Json {
        json(&this.auth.verify_mfa(&tenant.inner, &challenge_id, &code, trust_device, None).await?)
    }

    /// A guest's tokens (where the tenant allows guests).
    [tenant]
    fn guest / aguest(this, tenant: Tenant) -> Json {
        json(&this.auth.guest(&tenant.inner).await?)
    }

    /// New tokens for a refresh token (which is rotated: presenting the
    /// old one again ends the session).
    [tenant, refresh_token]
    fn refresh / arefresh(this, tenant: Tenant, refresh_token: String) -> Json {
        json(&this.auth.refresh(&tenant.inner, &refresh_token).await?)
    }

    /// Logs the token's session out and revokes the token.
    [tenant, claims]
    fn logout / alogout(this, tenant: Tenant, claims: Claims) -> () {
        principal_in(&this, &tenant, &claims)?;
        let c = &claims.inner.claims;
        this.auth.logout(&tenant.inner, &c.jti, c.sid.as_deref()).await
    }

    /// Starts TOTP enrollment for the user: `secret` (base32) and
    /// `otpauth_uri` for an authenticator app.
    [tenant, user_id]
    fn enroll_totp / aenroll_totp(this, tenant: Tenant, user_id: String) -> Json {
        let totp = this.auth.parts().mfa.enroll(&tenant.inner.id, &user_id).await?;
        let user = this.auth.user(&tenant.inner, &user_id).await?;
        let account = user.email.or(user.username).unwrap_or(user_id);
        Ok(Json(serde_json::json!({
            "secret": totp.secret_base32().as_str(),
            "otpauth_uri": totp.uri(&tenant.inner.name, &account).as_str(),
        })))
    }

    /// Confirms TOTP enrollment with a current code; answers the backup
    /// codes (shown once).
    [tenant, user_id, code]
    fn confirm_totp / aconfirm_totp(this, tenant: Tenant, user_id: String, code: String) -> Vec<String> {
        let codes = this.auth.confirm_totp(&tenant.inner, &user_id, &code).await?;
        Ok(codes.iter().map(|c| c.expose().clone()).collect::<Vec<String>>())
    }

    /// Creates an API key for the token's principal: `key` (the secret,
    /// shown once) and its record. Its scopes may not exceed the owner's
    /// rights, and it dies with its owner.
    [tenant, owner, name, *, scopes = Vec::new(), expires_in = None]
    fn create_api_key / acreate_api_key(
        this,
        tenant: Tenant,
        owner: Claims,
        name: String,
        scopes: Vec<String>,
        expires_in: Option<u64>,
    ) -> Json {
        let input = ApiKeyInput { name, scopes, expires_in };
        let principal = owner_in(&this, &tenant, &owner)?;
        let (key, secret) = this.auth.create_api_key(&tenant.inner, &principal, &input).await?;
        let mut answer = serde_json::to_value(&key).map_err(|e| Error::internal(e.to_string()))?;
        answer["key"] = serde_json::Value::String(secret.expose().clone());
        Ok(Json(answer))
    }

    /// The API key record a presented key belongs to; `Unauthenticated`
    /// when it is unknown, expired or its owner is gone.
    [tenant, key]
    fn authenticate_api_key / aauthenticate_api_key(this, tenant: Tenant, key: String) -> Json {
        json(&this.auth.parts().api_keys.authenticate(&tenant.inner.id, &key).await?)
    }

    /// Deletes one of the owner's API keys.
    [tenant, owner, key_id]
    fn delete_api_key / adelete_api_key(this, tenant: Tenant, owner: Claims, key_id: String) -> () {
        let id = parse_uuid(&key_id, "no such API key of yours")?;
        let principal = owner_in(&this, &tenant, &owner)?;
        let key = this.auth.owned_api_key(&tenant.inner, &principal, id).await?;
        this.auth.parts().api_keys.delete(&tenant.inner.id, key.id).await
    }

    /// A one-time ticket (60 s) handing the token's principal to another
    /// service.
    [tenant, claims]
    fn issue_ticket / aissue_ticket(this, tenant: Tenant, claims: Claims) -> String {
        let principal = owner_in(&this, &tenant, &claims)?;
        let ticket = this.auth.parts().tickets.issue(&tenant.inner.id, &principal).await?;
        Ok(ticket.expose().clone())
    }

    /// Redeems a ticket, once: an access token for its principal.
    [tenant, ticket]
    fn redeem_ticket / aredeem_ticket(this, tenant: Tenant, ticket: String) -> Json {
        json(&this.auth.redeem_ticket(&tenant.inner, &ticket).await?)
    }

    /// Registers an upstream identity provider for the tenant (a dict as
    /// the API's `POST /v1/identity-providers` takes; the client secret is
    /// write-only): the provider.
    [tenant, provider]
    fn create_identity_provider / acreate_identity_provider(this, tenant: Tenant, provider: Data<ProviderSettings>) -> Json {
        this.federation.check(&provider.0)?;
        json(&this.federation.providers().create(&tenant.inner.id, &provider.0).await?)
    }

    /// The tenant's upstream identity providers (never their secrets).
    [tenant]
    fn identity_providers / aidentity_providers(this, tenant: Tenant) -> Json {
        json(&this.federation.providers().list(&tenant.inner.id).await?)
    }

    /// Starts a login at upstream provider `provider_id`: the URL to send
    /// the browser to (authorization code with PKCE, and a nonce for
    /// OpenID Connect). `redirect_uri` is where the provider sends the
    /// browser back (registered there); `binding` a random value the app
    /// also sets as a cookie and gives to `federation_callback`, so that a
    /// callback cannot be replayed in another browser; `request` comes back
    /// from the callback (e.g. where to go next; at most 2,048 characters).
    [tenant, provider_id, *, redirect_uri, binding, request = String::new()]
    fn federation_start / afederation_start(this, tenant: Tenant, provider_id: String, redirect_uri: String, binding: String, request: String) -> String {
        if binding.len() < 16 || binding.len() > 256 {
            return Err(Error::invalid_input("`binding` must be 16 to 256 characters of randomness").with_field("binding"));
        }
        if request.len() > 2048 {
            return Err(Error::invalid_input("`request` must be at most 2,048 characters").with_field("request"));
        }
        this.federation.start(&tenant.inner, &provider_id, &request, &redirect_uri, &binding).await
    }

    /// Finishes an upstream login with the callback's `state`, `code` (or
    /// the provider's `error`) and the browser's `binding`: links or
    /// creates the user and opens a session. The tokens as `login` answers
    /// them, with `user_id`, `created` and `request`.
    [tenant, provider_id, *, state = None, code = None, error = None, binding = None, user_agent = None]
    fn federation_callback / afederation_callback(
        this,
        tenant: Tenant,
        provider_id: String,
        state: Option<String>,
        code: Option<String>,
        error: Option<String>,
        binding: Option<String>,
        user_agent: Option<String>,
    ) -> Json {
        let done = this
            .federation
            .callback(&tenant.inner, &provider_id, state.as_deref(), code.as_deref(), error.as_deref(), binding.as_deref())
            .await?;
        let fingerprint = caas::auth::sessions::Fingerprint {
            user_agent: user_agent.unwrap_or_default(),
            ..Default::default()
        };
        let session = this.auth.open_session(&tenant.inner, &done.user, fingerprint, vec!["fed".into()]).await?;
        let tokens = this.auth.session_tokens(&tenant.inner, &done.user, &session).await?;
        let mut answer = json(&tokens)?.0;
        if let Some(map) = answer.as_object_mut() {
            map.insert("user_id".into(), done.user.id.to_string().into());
            map.insert("created".into(), done.created.into());
            map.insert("request".into(), done.request.into());
        }
        Ok(Json(answer))
    }

    /// The user's open sessions.
    [tenant, user_id]
    fn sessions / asessions(this, tenant: Tenant, user_id: String) -> Json {
        json(&this.auth.parts().sessions.list(&tenant.inner.id, &user_id).await?)
    }

    /// Ends a session (its tokens stop working); false when it was not open.
    [tenant, session_id]
    fn end_session / aend_session(this, tenant: Tenant, session_id: String) -> bool {
        let id = parse_uuid(&session_id, "no such session")?;
        this.auth.parts().sessions.end(&tenant.inner.id, id, EndReason::Terminated).await
    }
});
