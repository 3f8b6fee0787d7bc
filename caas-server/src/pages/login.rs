//! The login page (`templates/login.html`) and the MFA step
//! (`templates/mfa.html`) of an authorization request.

use askama::Template;

use super::Layout;

/// The password form, the guest form when the tenant allows guests, and
/// the tenant's upstream providers.
#[derive(Debug, Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage<'a> {
    pub(crate) page: Layout<'a>,
    /// The client the user signs in to.
    pub(crate) client: &'a str,
    /// The tenant's slug (the forms' paths).
    pub(crate) slug: &'a str,
    /// The CSRF token of the forms.
    pub(crate) csrf: &'a str,
    /// The parked request's id.
    pub(crate) request: &'a str,
    /// The `login_hint`, pre-filled.
    pub(crate) hint: &'a str,
    /// Why the last attempt failed.
    pub(crate) error: Option<&'a str>,
    /// Whether the guest form is shown.
    pub(crate) guest: bool,
    /// The enabled upstream providers (id, name).
    pub(crate) providers: &'a [(String, String)],
}

/// The second-factor form.
#[derive(Debug, Template)]
#[template(path = "mfa.html")]
pub(crate) struct MfaPage<'a> {
    pub(crate) page: Layout<'a>,
    /// The tenant's slug (the form's path).
    pub(crate) slug: &'a str,
    /// The CSRF token of the form.
    pub(crate) csrf: &'a str,
    /// The parked request's id.
    pub(crate) request: &'a str,
    /// The MFA challenge's id.
    pub(crate) challenge: &'a str,
    /// Why the last code failed.
    pub(crate) error: Option<&'a str>,
}
