//! [`Auth`]: the flows built from the parts — register, log in (with the
//! MFA challenge and trusted devices), refresh, log out, guests, API-key
//! exchange, sessions. Login answers are uniform: an unknown login and a
//! wrong password give the same error after the same work (one argon2id
//! verification), and both count toward the lockout.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use caas_core::{
    AuditEvent, Error, ErrorKind, Outcome, PrincipalKind, Result, SecretString, SharedAuditSink,
    SharedClock, SharedRoleLookup, Tenant,
};
use serde::Serialize;
use uuid::Uuid;

use crate::api_keys::ApiKeys;
use crate::attenuation::Attenuation;
use crate::lockout::Lockout;
use crate::mfa::{Challenges, MfaStore, Pending, SecondFactor, TrustedDevices};
use crate::oauth::OAuthClients;
use crate::password::{PasswordHasher, PasswordPolicy, Verified};
use crate::refresh::RefreshTokens;
use crate::revocation::Revoked;
use crate::sessions::{EndReason, Fingerprint, NewSession, Session, SessionStore};
use crate::settings::AuthSettings;
use crate::tickets::Tickets;
use crate::tokens::{TokenRequest, TokenService};
use crate::users::{User, UserStatus, UserStore};

/// Access token, refresh token and their session.
#[derive(Debug, Clone, Serialize)]
pub struct TokenPair {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The refresh token (absent for guests and API keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The session (absent for API keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<Uuid>,
    /// A trusted-device token, when the user asked to trust the device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_device_token: Option<String>,
}

/// What a password login gives.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// Logged in.
    Tokens(TokenPair),
    /// A second factor is needed: answer the challenge with a code.
    MfaRequired {
        /// Pass to [`Auth::verify_mfa`].
        challenge_id: String,
        /// What codes are accepted (`totp`, `backup_code`).
        methods: Vec<&'static str>,
    },
}

/// What a password check gives when no tokens are wanted yet (the login
/// pages of the OAuth provider open a browser session instead).
#[derive(Debug, Clone)]
pub enum SignIn {
    /// Authenticated: the session that was opened.
    Session(Box<(User, Session)>),
    /// A second factor is needed.
    MfaRequired {
        /// Pass to [`Auth::verify_mfa_session`].
        challenge_id: String,
        /// What codes are accepted (`totp`, `backup_code`).
        methods: Vec<&'static str>,
    },
}

/// A password login.
#[derive(Debug, Clone)]
pub struct Login {
    /// Email or username.
    pub login: String,
    /// The password.
    pub password: SecretString,
    /// The device.
    pub fingerprint: Fingerprint,
    /// The client's address (lockout per IP).
    pub ip: Option<IpAddr>,
    /// A trusted-device token from an earlier MFA login.
    pub trusted_device: Option<String>,
}

/// Every part [`Auth`] composes.
#[derive(Debug, Clone)]
pub struct AuthParts {
    /// Users.
    pub users: Arc<dyn UserStore>,
    /// Password hashing.
    pub hasher: PasswordHasher,
    /// Password rules.
    pub policy: PasswordPolicy,
    /// Failure counting.
    pub lockout: Lockout,
    /// Sessions.
    pub sessions: SessionStore,
    /// Refresh tokens.
    pub refresh: RefreshTokens,
    /// Access tokens.
    pub tokens: TokenService,
    /// TOTP and backup codes.
    pub mfa: MfaStore,
    /// Pending MFA steps.
    pub challenges: Challenges,
    /// Devices that skip MFA.
    pub trusted: TrustedDevices,
    /// API keys.
    pub api_keys: ApiKeys,
    /// One-time tickets.
    pub tickets: Tickets,
    /// OAuth clients.
    pub clients: OAuthClients,
    /// The clock.
    pub clock: SharedClock,
}

/// The authentication flows.
#[derive(Debug, Clone)]
pub struct Auth {
    parts: Arc<AuthParts>,
    audit: Option<SharedAuditSink>,
    attenuation: Attenuation,
}

fn invalid_credentials() -> Error {
    Error::new(
        ErrorKind::Unauthenticated,
        "the login or the password is wrong",
    )
    .with_code("invalid_credentials")
}

/// Roles from a user's `attributes.roles` (an array of strings), until the
/// authorization crate assigns them.
pub(crate) fn roles(user: &User) -> Vec<String> {
    user.attributes
        .get("roles")
        .and_then(|r| r.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl Auth {
    /// The flows over `parts`.
    pub fn new(parts: AuthParts) -> Self {
        let attenuation = Attenuation::without_engine(parts.users.clone());
        Auth {
            parts: Arc::new(parts),
            audit: None,
            attenuation,
        }
    }

    /// The flows, with owners' roles answered by `roles` (caas-authz's
    /// engine): the ceiling of every derived credential.
    #[must_use]
    pub fn with_roles(mut self, roles: SharedRoleLookup) -> Self {
        self.attenuation = Attenuation::new(self.parts.users.clone(), roles);
        self
    }

    /// The ceiling of derived credentials (for authenticators and the
    /// OAuth provider).
    pub fn attenuation(&self) -> &Attenuation {
        &self.attenuation
    }

    /// The flows, auditing logins, MFA steps and logouts to `sink`.
    #[must_use]
    pub fn with_audit(mut self, sink: SharedAuditSink) -> Self {
        self.audit = Some(sink);
        self
    }

    /// Records a security event; an event that cannot be recorded fails
    /// the step that caused it.
    pub(crate) async fn audit(&self, tenant: &Tenant, event: AuditEvent) -> Result<()> {
        match &self.audit {
            Some(sink) => sink.record(event.tenant(tenant.id)).await,
            None => Ok(()),
        }
    }

    pub(crate) fn event(&self, action: &str, outcome: Outcome) -> AuditEvent {
        AuditEvent::new(self.parts.clock.as_ref(), action).outcome(outcome)
    }

    /// The parts (for routes that use one directly).
    pub fn parts(&self) -> &AuthParts {
        &self.parts
    }

    /// A password login: tokens, or an MFA challenge.
    pub async fn login(&self, tenant: &Tenant, login: &Login) -> Result<LoginOutcome> {
        match self.sign_in(tenant, login).await? {
            SignIn::Session(done) => {
                let (user, session) = *done;
                let refresh = self.parts.refresh.issue(&tenant.id, &session).await?;
                let pair = self
                    .pair(tenant, &user, &session, Some(refresh.token))
                    .await?;
                Ok(LoginOutcome::Tokens(pair))
            }
            SignIn::MfaRequired {
                challenge_id,
                methods,
            } => Ok(LoginOutcome::MfaRequired {
                challenge_id,
                methods,
            }),
        }
    }

    /// Checks a password login and opens a session (no tokens), or an MFA
    /// challenge. The same checks as [`Auth::login`]: lockout, uniform
    /// failures, account state, trusted devices.
    pub async fn sign_in(&self, tenant: &Tenant, login: &Login) -> Result<SignIn> {
        match self.sign_in_checked(tenant, login).await {
            Ok(outcome) => {
                let (actor, details) = match &outcome {
                    SignIn::Session(done) => (
                        done.0.id.to_string(),
                        serde_json::json!({ "session": done.1.id, "amr": ["pwd"] }),
                    ),
                    SignIn::MfaRequired { .. } => {
                        (String::new(), serde_json::json!({ "mfa_required": true }))
                    }
                };
                let mut event = self.event("auth.login", Outcome::Success).details(details);
                if !actor.is_empty() {
                    event = event.actor(actor);
                }
                self.audit(tenant, event).await?;
                Ok(outcome)
            }
            Err(e) => {
                // The login name is not recorded: it may be an email.
                let event = self
                    .event("auth.login", Outcome::Failure)
                    .details(serde_json::json!({ "reason": e.code() }));
                if let Err(audit) = self.audit(tenant, event).await {
                    tracing::error!(error = %audit, "cannot audit a failed login");
                }
                // The event names the account when the login matched one
                // (the tenant's administrators may know its users), never
                // the login name or the password.
                let user = match self
                    .parts
                    .users
                    .find_by_login(&tenant.id, &login.login)
                    .await
                {
                    Ok(found) => found.map(|c| c.user.id),
                    Err(_) => None,
                };
                self.announce(
                    tenant,
                    "auth.login_failed",
                    serde_json::json!({ "reason": e.code(), "user_id": user }),
                )
                .await;
                Err(e)
            }
        }
    }

    async fn sign_in_checked(&self, tenant: &Tenant, login: &Login) -> Result<SignIn> {
        let p = &self.parts;
        p.lockout.check(&tenant.id, &login.login, login.ip).await?;
        let found = p.users.find_by_login(&tenant.id, &login.login).await?;
        let Some((creds, hash)) = found.and_then(|c| c.password_hash.clone().map(|h| (c, h)))
        else {
            p.hasher.verify_nothing(login.password.expose());
            p.lockout
                .failure(&tenant.id, &login.login, login.ip)
                .await?;
            return Err(invalid_credentials());
        };
        let user = creds.user;
        match p.hasher.verify(login.password.expose(), &hash)? {
            Verified::Wrong => {
                p.lockout
                    .failure(&tenant.id, &login.login, login.ip)
                    .await?;
                return Err(invalid_credentials());
            }
            Verified::Rehash(again) => {
                p.users
                    .set_password_hash(&tenant.id, user.id, Some(&again))
                    .await?;
            }
            Verified::Ok => {}
        }
        // The password was right: the account's state may be told.
        match user.status {
            UserStatus::Active => {}
            UserStatus::Locked => {
                return Err(Error::forbidden("this account is locked").with_code("account_locked"));
            }
            UserStatus::Disabled => {
                return Err(
                    Error::forbidden("this account is disabled").with_code("account_disabled")
                );
            }
        }
        p.lockout.success(&tenant.id, &login.login).await?;
        let user_id = user.id.to_string();
        let status = p.mfa.status(&tenant.id, &user_id).await?;
        if status.totp || status.backup_codes_left > 0 {
            let trusted = match &login.trusted_device {
                Some(token) => p.trusted.is_trusted(&tenant.id, &user_id, token).await?,
                None => false,
            };
            if !trusted {
                let challenge_id = p
                    .challenges
                    .open(
                        &tenant.id,
                        &Pending {
                            user_id,
                            login: login.login.clone(),
                            fingerprint: login.fingerprint.clone(),
                            amr: vec!["pwd".into()],
                        },
                    )
                    .await?;
                let mut methods = Vec::new();
                if status.totp {
                    methods.push("totp");
                }
                if status.backup_codes_left > 0 {
                    methods.push("backup_code");
                }
                return Ok(SignIn::MfaRequired {
                    challenge_id,
                    methods,
                });
            }
        }
        let session = self
            .open_session(tenant, &user, login.fingerprint.clone(), vec!["pwd".into()])
            .await?;
        Ok(SignIn::Session(Box::new((user, session))))
    }

    /// Answers an MFA challenge with a TOTP or backup code; optionally
    /// trusts the device.
    pub async fn verify_mfa(
        &self,
        tenant: &Tenant,
        challenge_id: &str,
        code: &str,
        trust_device: bool,
        ip: Option<IpAddr>,
    ) -> Result<TokenPair> {
        let (user, session, trusted) = self
            .verify_mfa_session(tenant, challenge_id, code, trust_device, ip)
            .await?;
        let refresh = self.parts.refresh.issue(&tenant.id, &session).await?;
        let mut pair = self
            .pair(tenant, &user, &session, Some(refresh.token))
            .await?;
        pair.trusted_device_token = trusted.map(|t| t.expose().clone());
        Ok(pair)
    }

    /// Answers an MFA challenge and opens the session (no tokens); the
    /// trusted-device token when asked for and allowed.
    pub async fn verify_mfa_session(
        &self,
        tenant: &Tenant,
        challenge_id: &str,
        code: &str,
        trust_device: bool,
        ip: Option<IpAddr>,
    ) -> Result<(User, Session, Option<SecretString>)> {
        let p = &self.parts;
        let pending = p.challenges.attempt(&tenant.id, challenge_id).await?;
        p.lockout.check(&tenant.id, &pending.login, ip).await?;
        let Some(factor) = p.mfa.verify(&tenant.id, &pending.user_id, code).await? else {
            p.lockout.failure(&tenant.id, &pending.login, ip).await?;
            let event = self
                .event("auth.mfa", Outcome::Failure)
                .actor(pending.user_id.as_str());
            self.audit(tenant, event).await?;
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                "the code is wrong or was already used",
            )
            .with_code("invalid_code"));
        };
        p.challenges.close(&tenant.id, challenge_id).await?;
        let user_id: Uuid = pending
            .user_id
            .parse()
            .map_err(|_| Error::internal("a challenge names a malformed user id"))?;
        let user = p
            .users
            .get(&tenant.id, user_id)
            .await?
            .filter(|u| u.status == UserStatus::Active)
            .ok_or_else(invalid_credentials)?;
        // RFC 8176: a one-time code (`otp`) on top of the password (`mfa`);
        // a backup code is recorded as `otp` too, and in the log.
        if factor == SecondFactor::BackupCode {
            tracing::info!(tenant = %tenant.slug, user = %pending.user_id, "a backup code was used");
        }
        let mut amr = pending.amr.clone();
        amr.extend(["otp".to_owned(), "mfa".to_owned()]);
        let session = self
            .open_session(tenant, &user, pending.fingerprint.clone(), amr)
            .await?;
        let factor_name = if factor == SecondFactor::BackupCode {
            "backup_code"
        } else {
            "totp"
        };
        let event = self
            .event("auth.mfa", Outcome::Success)
            .actor(pending.user_id.as_str())
            .details(serde_json::json!({ "factor": factor_name, "session": session.id }));
        self.audit(tenant, event).await?;
        let days = AuthSettings::of(&tenant.settings)?.trusted_device_days;
        let mut trusted = None;
        if trust_device && days > 0 {
            trusted = Some(
                p.trusted
                    .trust(
                        &tenant.id,
                        &pending.user_id,
                        Duration::from_secs(u64::from(days) * 86_400),
                    )
                    .await?,
            );
        }
        Ok((user, session, trusted))
    }

    /// Opens a session for `user`.
    pub async fn open_session(
        &self,
        tenant: &Tenant,
        user: &User,
        fingerprint: Fingerprint,
        amr: Vec<String>,
    ) -> Result<Session> {
        self.parts
            .sessions
            .create(
                &tenant.id,
                &NewSession {
                    user_id: user.id.to_string(),
                    kind: PrincipalKind::User,
                    fingerprint,
                    metadata: serde_json::Map::new(),
                    amr,
                },
            )
            .await
    }

    /// Tokens for a session opened another way than a password login (an
    /// upstream identity provider's): a new refresh family and the pair,
    /// as [`Auth::login`] answers them.
    pub async fn session_tokens(
        &self,
        tenant: &Tenant,
        user: &User,
        session: &Session,
    ) -> Result<TokenPair> {
        let refresh = self.parts.refresh.issue(&tenant.id, session).await?;
        self.pair(tenant, user, session, Some(refresh.token)).await
    }

    async fn pair(
        &self,
        tenant: &Tenant,
        user: &User,
        session: &Session,
        refresh: Option<SecretString>,
    ) -> Result<TokenPair> {
        let p = &self.parts;
        let request = TokenRequest {
            session: Some(session.id.to_string()),
            roles: roles(user),
            amr: session.amr.clone(),
            auth_time: Some(session.auth_time),
            ..TokenRequest::new(user.id.to_string(), PrincipalKind::User)
        };
        let format = AuthSettings::of(&tenant.settings)?.token_format;
        let issued = p.tokens.issue_as(tenant, &request, format).await?;
        Ok(TokenPair {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: p.tokens.config().access_ttl.as_secs(),
            refresh_token: refresh.map(|r| r.expose().clone()),
            session_id: Some(session.id),
            trusted_device_token: None,
        })
    }

    /// Exchanges a refresh token for a new pair (rotation, reuse detection).
    pub async fn refresh(&self, tenant: &Tenant, refresh_token: &str) -> Result<TokenPair> {
        let p = &self.parts;
        let rotated = p.refresh.rotate(&tenant.id, refresh_token).await?;
        let user_id: Uuid = rotated
            .session
            .user_id
            .parse()
            .map_err(|_| Error::internal("a session names a malformed user id"))?;
        let Some(user) = p
            .users
            .get(&tenant.id, user_id)
            .await?
            .filter(|u| u.status == UserStatus::Active)
        else {
            p.sessions
                .end(&tenant.id, rotated.session.id, EndReason::Terminated)
                .await?;
            return Err(Error::invalid_token(
                "the account of this session is no longer active",
            ));
        };
        self.pair(tenant, &user, &rotated.session, Some(rotated.refresh.token))
            .await
    }

    /// Ends session `sid` (its refresh tokens and access tokens die with
    /// it) and revokes the presented token `jti` itself.
    pub async fn logout(&self, tenant: &Tenant, jti: &str, sid: Option<&str>) -> Result<()> {
        let p = &self.parts;
        p.tokens
            .revocations()
            .revoke(&tenant.id, Revoked::Token(jti))
            .await?;
        let mut subject = None;
        if let Some(sid) = sid.and_then(|s| s.parse::<Uuid>().ok()) {
            subject = p.sessions.get(&tenant.id, sid).await?.map(|s| s.user_id);
            p.refresh.revoke_session(&tenant.id, sid, "logout").await?;
            p.sessions.end(&tenant.id, sid, EndReason::Logout).await?;
        }
        let mut event = self
            .event("auth.logout", Outcome::Success)
            .details(serde_json::json!({ "session": sid }));
        if let Some(s) = subject {
            event = event.actor(s);
        }
        self.audit(tenant, event).await
    }
}
