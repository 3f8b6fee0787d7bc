//! What the provider's JSON answers look like, for the OpenAPI document.
//!
//! The provider builds these answers from the RFCs' member lists (RFC 6749
//! §5.1–5.2, RFC 7662 §2.2, RFC 8414 §2, OIDC Core §5.3, RFC 7517 §5); the
//! types here only describe them. A test (`tests/it/gateway/openapi_auth.rs`)
//! checks real answers against these schemas.

#![allow(
    dead_code,
    reason = "the types describe answers the provider builds; they are never constructed"
)]

use serde::Serialize;
use utoipa::ToSchema;

/// An OAuth error (RFC 6749 §5.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`,
    /// `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`,
    /// `invalid_target`, `access_denied`, `server_error`,
    /// `temporarily_unavailable`.
    error: String,
    /// What went wrong, for the developer.
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<String>,
}

/// What a token is (RFC 7662 §2.2); only `active` when it is not active.
#[derive(Debug, Serialize, ToSchema)]
pub struct Introspection {
    /// Whether the token is valid now, for this client.
    active: bool,
    /// `Bearer` or `refresh_token`.
    token_type: Option<String>,
    /// Space-separated scopes.
    scope: Option<String>,
    /// The client it was issued to.
    client_id: Option<String>,
    /// The user (or the client, for client credentials).
    sub: Option<String>,
    /// The audience or audiences (access tokens).
    aud: Option<Audience>,
    /// The issuer.
    iss: Option<String>,
    /// Expires (seconds since the epoch).
    exp: Option<i64>,
    /// Issued (seconds since the epoch).
    iat: Option<i64>,
    /// Not before (seconds since the epoch; access tokens).
    nbf: Option<i64>,
    /// The token's id (access tokens).
    jti: Option<String>,
    /// The session.
    sid: Option<String>,
    /// `user`, `service` or `guest` (access tokens).
    kind: Option<String>,
    /// The tenant (access tokens).
    tenant_id: Option<String>,
}

/// A token's audience: one, or several (RFC 7519 §4.1.3).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Audience {
    /// One audience.
    One(String),
    /// Several.
    Many(Vec<String>),
}

/// The user's claims (OIDC Core §5.3), by the access token's scopes.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserInfo {
    /// The user's id.
    sub: String,
    /// Display name (`profile`).
    name: Option<String>,
    /// Username (`profile`).
    preferred_username: Option<String>,
    /// Last change, seconds since the epoch (`profile`).
    updated_at: Option<i64>,
    /// Email (`email`).
    email: Option<String>,
    /// Whether the email is verified (`email`).
    email_verified: Option<bool>,
}

/// The provider's metadata (RFC 8414 §2, OIDC Discovery 1.0 §3).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderMetadata {
    /// `{public_url}/t/{slug}`.
    issuer: String,
    /// The authorization endpoint.
    authorization_endpoint: String,
    /// The token endpoint.
    token_endpoint: String,
    /// The userinfo endpoint.
    userinfo_endpoint: String,
    /// The tenant's key set.
    jwks_uri: String,
    /// RP-initiated logout.
    end_session_endpoint: String,
    /// RFC 7662.
    introspection_endpoint: String,
    /// RFC 7009.
    revocation_endpoint: String,
    /// Scopes a client may ask for.
    scopes_supported: Vec<String>,
    /// `code`.
    response_types_supported: Vec<String>,
    /// `query`.
    response_modes_supported: Vec<String>,
    /// The grants.
    grant_types_supported: Vec<String>,
    /// `public`.
    subject_types_supported: Vec<String>,
    /// ID-token signature algorithms.
    id_token_signing_alg_values_supported: Vec<String>,
    /// Client authentication at the token endpoint.
    token_endpoint_auth_methods_supported: Vec<String>,
    /// Algorithms of `private_key_jwt` assertions.
    token_endpoint_auth_signing_alg_values_supported: Vec<String>,
    /// Client authentication at the introspection endpoint.
    introspection_endpoint_auth_methods_supported: Vec<String>,
    /// Client authentication at the revocation endpoint.
    revocation_endpoint_auth_methods_supported: Vec<String>,
    /// `S256`.
    code_challenge_methods_supported: Vec<String>,
    /// `prompt` values.
    prompt_values_supported: Vec<String>,
    /// Claims the provider can give.
    claims_supported: Vec<String>,
    /// Languages of the pages.
    ui_locales_supported: Vec<String>,
    /// `claims` parameter.
    claims_parameter_supported: bool,
    /// `request` parameter.
    request_parameter_supported: bool,
    /// `request_uri` parameter.
    request_uri_parameter_supported: bool,
    /// RFC 9207 `iss` in the authorization response.
    authorization_response_iss_parameter_supported: bool,
}

/// A JSON Web Key Set (RFC 7517 §5).
#[derive(Debug, Serialize, ToSchema)]
pub struct JwkSet {
    /// The public keys.
    keys: Vec<Jwk>,
}

/// A public key (RFC 7517 §4, RFC 8037 for `OKP`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwk {
    /// Key type: `OKP`, `EC` or `RSA`.
    kty: String,
    /// Key id (the `kid` of tokens it verifies).
    kid: String,
    /// `sig`.
    #[serde(rename = "use")]
    use_: Option<String>,
    /// Algorithm, e.g. `EdDSA`.
    alg: Option<String>,
    /// Curve (`OKP`, `EC`).
    crv: Option<String>,
    /// Public key, base64url (`OKP`, `EC`).
    x: Option<String>,
    /// Public key's y, base64url (`EC`).
    y: Option<String>,
    /// Modulus, base64url (`RSA`).
    n: Option<String>,
    /// Exponent, base64url (`RSA`).
    e: Option<String>,
}
