//! [`Federation`]: logging in through a tenant's upstream provider. `start`
//! builds the authorization URL with `state`, `nonce` and PKCE S256 (kept
//! single-use for ten minutes); `callback` checks the state, exchanges the
//! code (the `oauth2` crate, over the server's address-checked client),
//! validates the upstream ID token (or asks GitHub's user API), then finds
//! the linked user — or links one by verified email, or creates one, as the
//! provider's settings allow — and records the link.

use std::sync::Arc;
use std::time::Duration;

use caas_core::{Error, KvKey, Namespace, Result, SharedKvStore, Tenant};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, ExtraTokenFields,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::id_token::{self, UpstreamClaims};
use super::links::FederatedLinks;
use super::providers::{IdentityProvider, IdentityProviders, ProviderKind};
use super::upstream::{Upstream, failed, get_json};
use crate::opaque;
use crate::service::Auth;
use crate::users::{NewUser, User, UserStatus};

/// How long a started login waits for the provider.
const STATE_TTL: Duration = Duration::from_secs(600);

const GITHUB_AUTHORIZE: &str = "https://github.com/login/oauth/authorize";
const GITHUB_TOKEN: &str = "https://github.com/login/oauth/access_token";
const GITHUB_API: &str = "https://api.github.com";

/// The ID token in a token response.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type Tokens = StandardTokenResponse<IdTokenField, BasicTokenType>;
type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    Tokens,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

/// What a started login remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    provider_id: String,
    nonce: String,
    verifier: String,
    request: String,
    redirect_uri: String,
    /// SHA-256 of the browser binding (a cookie): the callback must come
    /// from the browser that started the login.
    binding: String,
}

/// A finished upstream login.
#[derive(Debug, Clone)]
pub struct Federated {
    /// The user (linked, or just linked or created).
    pub user: User,
    /// The parked authorization request the login belongs to.
    pub request: String,
    /// Whether this login created the user.
    pub created: bool,
}

/// Upstream logins of every tenant.
#[derive(Debug, Clone)]
pub struct Federation {
    providers: IdentityProviders,
    links: FederatedLinks,
    kv: SharedKvStore,
    upstream: Arc<dyn Upstream>,
    auth: Auth,
}

fn state_key(tenant: &Tenant, state: &str) -> Result<KvKey> {
    Namespace::Tenant(tenant.id).key(&format!("auth:federation:{}", opaque::digest(state)))
}

fn refused(message: &'static str) -> Error {
    Error::invalid_input(message).with_code("federation_failed")
}

/// The endpoints of a provider.
struct Endpoints {
    authorize: String,
    token: String,
    oidc: Option<id_token::Discovered>,
}

impl Federation {
    /// Federation over `providers` and `links`, reaching providers through `upstream`.
    pub fn new(
        providers: IdentityProviders,
        links: FederatedLinks,
        kv: SharedKvStore,
        upstream: Arc<dyn Upstream>,
        auth: Auth,
    ) -> Self {
        Federation {
            providers,
            links,
            kv,
            upstream,
            auth,
        }
    }

    /// The providers.
    pub fn providers(&self) -> &IdentityProviders {
        &self.providers
    }

    /// The links.
    pub fn links(&self) -> &FederatedLinks {
        &self.links
    }

    /// Checks settings before they are saved: the rules, and that the
    /// issuer is reachable under the address policy.
    pub fn check(&self, settings: &super::ProviderSettings) -> Result<()> {
        settings.validate()?;
        if let Some(issuer) = settings.issuer() {
            self.upstream
                .check_url(&issuer)
                .map_err(|e| Error::invalid_input(e.message().to_owned()).with_field("issuer"))?;
        }
        Ok(())
    }

    async fn endpoints(&self, provider: &IdentityProvider) -> Result<Endpoints> {
        let s = &provider.settings;
        if s.kind == ProviderKind::Github {
            return Ok(Endpoints {
                authorize: GITHUB_AUTHORIZE.into(),
                token: GITHUB_TOKEN.into(),
                oidc: None,
            });
        }
        let issuer = s
            .issuer()
            .ok_or_else(|| Error::internal("an OIDC provider without an issuer"))?;
        let doc = id_token::discover(self.upstream.as_ref(), &issuer).await?;
        Ok(Endpoints {
            authorize: doc.authorization_endpoint.clone(),
            token: doc.token_endpoint.clone(),
            oidc: Some(doc),
        })
    }

    fn client(
        provider: &IdentityProvider,
        secret: Option<&str>,
        endpoints: &Endpoints,
        redirect_uri: &str,
    ) -> Result<OAuthClient> {
        let bad_url = |_| failed("the identity provider's endpoints are not URLs");
        let mut client = oauth2::Client::new(ClientId::new(provider.settings.client_id.clone()))
            .set_auth_uri(AuthUrl::new(endpoints.authorize.clone()).map_err(bad_url)?)
            .set_token_uri(TokenUrl::new(endpoints.token.clone()).map_err(bad_url)?)
            .set_redirect_uri(
                RedirectUrl::new(redirect_uri.to_owned())
                    .map_err(|_| Error::internal("the federation callback is not a URL"))?,
            );
        if let Some(secret) = secret {
            client = client.set_client_secret(ClientSecret::new(secret.to_owned()));
        }
        Ok(client)
    }

    async fn enabled(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<(IdentityProvider, Option<String>)> {
        let (provider, secret) = self
            .providers
            .with_secret(&tenant.id, id)
            .await?
            .filter(|(p, _)| p.settings.enabled)
            .ok_or_else(|| Error::not_found("this identity provider is unknown or disabled"))?;
        Ok((provider, secret.map(|s| s.to_string())))
    }

    /// Starts a login at provider `id` for the parked authorization request
    /// `request`; returns the URL to send the browser to. `redirect_uri` is
    /// `{issuer}/federation/{id}/callback`; `binding` is a random value the
    /// server also sets as a cookie, so that a callback URL cannot be
    /// replayed in another browser (login CSRF).
    pub async fn start(
        &self,
        tenant: &Tenant,
        id: &str,
        request: &str,
        redirect_uri: &str,
        binding: &str,
    ) -> Result<String> {
        let (provider, secret) = self.enabled(tenant, id).await?;
        let endpoints = self.endpoints(&provider).await?;
        let client = Self::client(&provider, secret.as_deref(), &endpoints, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = opaque::token("");
        let mut builder = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(provider.settings.scopes().into_iter().map(Scope::new))
            .set_pkce_challenge(challenge);
        if endpoints.oidc.is_some() {
            builder = builder.add_extra_param("nonce", nonce.clone());
        }
        let (url, state) = builder.url();
        let pending = Pending {
            provider_id: provider.id.clone(),
            nonce,
            verifier: verifier.secret().clone(),
            request: request.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            binding: opaque::digest(binding),
        };
        self.kv
            .set(
                &state_key(tenant, state.secret())?,
                &serde_json::to_vec(&pending)?,
                Some(STATE_TTL),
            )
            .await?;
        Ok(url.to_string())
    }

    /// Finishes a login at provider `id`: `state` and `code` from the
    /// callback's query (or the provider's `error`), `binding` from the
    /// browser's cookie.
    pub async fn callback(
        &self,
        tenant: &Tenant,
        id: &str,
        state: Option<&str>,
        code: Option<&str>,
        error: Option<&str>,
        binding: Option<&str>,
    ) -> Result<Federated> {
        let state = state
            .filter(|s| !s.is_empty() && s.len() <= 256)
            .ok_or_else(|| refused("the login came back without its `state`"))?;
        let key = state_key(tenant, state)?;
        let Some(body) = self.kv.get(&key).await? else {
            return Err(refused(
                "the login's `state` is unknown or expired: start the login again",
            ));
        };
        // Single use, whatever happens next.
        self.kv.delete(&key).await?;
        let pending: Pending = serde_json::from_slice(&body)
            .map_err(|_| Error::internal("a stored federation state is not JSON"))?;
        if pending.provider_id != id {
            return Err(refused("the login's `state` belongs to another provider"));
        }
        if !binding.is_some_and(|b| opaque::matches(Some(&pending.binding), b)) {
            return Err(refused(
                "this login was started in another browser: start it again here",
            ));
        }
        if let Some(error) = error {
            return Err(refused_owned(format!(
                "the identity provider refused the login (`{}`)",
                error
                    .chars()
                    .take(64)
                    .filter(|c| !c.is_control())
                    .collect::<String>()
            )));
        }
        let code = code.ok_or_else(|| refused("the login came back without a code"))?;
        let (provider, secret) = self.enabled(tenant, id).await?;
        let endpoints = self.endpoints(&provider).await?;
        let client = Self::client(
            &provider,
            secret.as_deref(),
            &endpoints,
            &pending.redirect_uri,
        )?;
        let http = Http(self.upstream.clone());
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&http)
            .await
            .map_err(|e| {
                // Only the kind of failure: a body that failed to parse may hold tokens.
                let kind = match &e {
                    oauth2::RequestTokenError::ServerResponse(r) => r.error().as_ref().to_owned(),
                    oauth2::RequestTokenError::Request(_) => "request".to_owned(),
                    oauth2::RequestTokenError::Parse(..) => "unparsable response".to_owned(),
                    oauth2::RequestTokenError::Other(_) => "other".to_owned(),
                };
                tracing::info!(error = %kind, provider = id, "an upstream code exchange failed");
                refused("the identity provider did not accept the login's code")
            })?;
        let identity = match &endpoints.oidc {
            Some(doc) => {
                let token = tokens
                    .extra_fields()
                    .id_token
                    .as_deref()
                    .ok_or_else(|| refused("the identity provider sent no ID token"))?;
                let issuer = provider.settings.issuer().unwrap_or_default();
                let c = id_token::validate(
                    self.upstream.as_ref(),
                    doc,
                    &issuer,
                    token,
                    &provider.settings.client_id,
                    &pending.nonce,
                )
                .await?;
                let mut who = Identity::from_claims(c);
                // Providers that keep profile claims out of the ID token
                // give them at userinfo, for the same subject.
                if who.email.is_none()
                    && let Some(userinfo) = doc.userinfo_endpoint.as_deref()
                {
                    let info = get_json(
                        self.upstream.as_ref(),
                        userinfo,
                        Some(tokens.access_token().secret()),
                    )
                    .await?;
                    if info.get("sub").and_then(|s| s.as_str()) != Some(who.subject.as_str()) {
                        return Err(refused(
                            "the identity provider's userinfo names another subject",
                        ));
                    }
                    let text = |k: &str| info.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                    who.email = text("email");
                    who.email_verified = info
                        .get("email_verified")
                        .and_then(serde_json::Value::as_bool)
                        == Some(true);
                    who.name = who.name.or_else(|| text("name"));
                }
                who
            }
            None => self.github(tokens.access_token().secret()).await?,
        };
        let (user, created) = self.resolve(tenant, &provider, &identity).await?;
        Ok(Federated {
            user,
            request: pending.request,
            created,
        })
    }

    async fn github(&self, token: &str) -> Result<Identity> {
        let user = get_json(
            self.upstream.as_ref(),
            &format!("{GITHUB_API}/user"),
            Some(token),
        )
        .await?;
        let subject = user
            .get("id")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| failed("GitHub's user answer has no id"))?
            .to_string();
        let emails = get_json(
            self.upstream.as_ref(),
            &format!("{GITHUB_API}/user/emails"),
            Some(token),
        )
        .await?;
        let primary = emails.as_array().and_then(|list| {
            list.iter().find(|e| {
                e.get("primary").and_then(serde_json::Value::as_bool) == Some(true)
                    && e.get("verified").and_then(serde_json::Value::as_bool) == Some(true)
            })
        });
        Ok(Identity {
            subject,
            email: primary
                .and_then(|e| e.get("email"))
                .and_then(|e| e.as_str())
                .map(str::to_owned),
            email_verified: primary.is_some(),
            name: user
                .get("name")
                .and_then(|n| n.as_str())
                .or_else(|| user.get("login").and_then(|n| n.as_str()))
                .map(str::to_owned),
        })
    }

    /// The linked user; or one linked by verified email; or a new one.
    async fn resolve(
        &self,
        tenant: &Tenant,
        provider: &IdentityProvider,
        who: &Identity,
    ) -> Result<(User, bool)> {
        let users = &self.auth.parts().users;
        let verified = who.email.as_deref().filter(|_| who.email_verified);
        let active = |u: Option<User>| {
            u.filter(|u| u.status == UserStatus::Active).ok_or_else(|| {
                Error::forbidden("this account is locked or disabled").with_code("account_disabled")
            })
        };
        if let Some(id) = self
            .links
            .user_of(&tenant.id, &provider.id, &who.subject, who.email.as_deref())
            .await?
        {
            let id: Uuid = id
                .parse()
                .map_err(|_| Error::internal("a link names a malformed user id"))?;
            return Ok((active(users.get(&tenant.id, id).await?)?, false));
        }
        if provider.settings.link_by_email
            && let Some(email) = verified
            && let Some(found) = users.find_by_login(&tenant.id, email).await?
        {
            let user = active(Some(found.user))?;
            self.links
                .link(
                    &tenant.id,
                    &provider.id,
                    &who.subject,
                    &user.id.to_string(),
                    Some(email),
                )
                .await?;
            return Ok((user, false));
        }
        if !provider.settings.create_users {
            return Err(Error::forbidden(
                "no account of this tenant belongs to this login, and the provider does not create accounts",
            )
            .with_code("no_linked_account"));
        }
        let mut attributes = serde_json::Map::new();
        attributes.insert(
            "email_verified".into(),
            serde_json::Value::Bool(verified.is_some()),
        );
        let new = NewUser {
            email: verified.map(str::to_owned),
            // Without a verified email the account gets a generated username.
            username: verified
                .is_none()
                .then(|| format!("{}-{}", provider.id, &opaque::digest(&who.subject)[..12])),
            display_name: who.name.clone().map(|n| n.chars().take(200).collect()),
            attributes,
        };
        let user = self.auth.create_user(tenant, &new, None).await?;
        self.links
            .link(
                &tenant.id,
                &provider.id,
                &who.subject,
                &user.id.to_string(),
                verified,
            )
            .await?;
        Ok((user, true))
    }
}

fn refused_owned(message: String) -> Error {
    Error::invalid_input(message).with_code("federation_failed")
}

/// The `oauth2` crate's HTTP client: the [`Upstream`].
struct Http(Arc<dyn Upstream>);

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse>> + Send + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move { self.0.send(request).await })
    }
}

/// Who logged in upstream.
#[derive(Debug, Clone)]
struct Identity {
    subject: String,
    email: Option<String>,
    email_verified: bool,
    name: Option<String>,
}

impl Identity {
    fn from_claims(c: UpstreamClaims) -> Self {
        Identity {
            subject: c.sub,
            email: c.email,
            email_verified: c.email_verified == Some(true),
            name: c.name,
        }
    }
}
