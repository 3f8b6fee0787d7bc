//! The consent screen (`templates/consent.html`).

use askama::Template;

use super::Layout;

/// What a third-party client asks for, allow or deny.
#[derive(Debug, Template)]
#[template(path = "consent.html")]
pub(crate) struct ConsentPage<'a> {
    pub(crate) page: Layout<'a>,
    /// The client asking.
    pub(crate) client: &'a str,
    /// What each requested scope lets the client do.
    pub(crate) scopes: Vec<String>,
    /// The tenant's slug (the form's path).
    pub(crate) slug: &'a str,
    /// The CSRF token of the form.
    pub(crate) csrf: &'a str,
    /// The parked request's id.
    pub(crate) request: &'a str,
}
