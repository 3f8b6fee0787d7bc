//! The logout confirmation (`templates/logout.html`) and the signed-out
//! page (`templates/logged_out.html`).

use askama::Template;

use super::Layout;

/// "Do you want to sign out?", with the original parameters kept in the form.
#[derive(Debug, Template)]
#[template(path = "logout.html")]
pub(crate) struct LogoutPage<'a> {
    pub(crate) page: Layout<'a>,
    /// The client the user signs out of, when known.
    pub(crate) client: Option<&'a str>,
    /// The tenant's slug (the form's path).
    pub(crate) slug: &'a str,
    /// The CSRF token of the form.
    pub(crate) csrf: &'a str,
    /// The logout parameters sent again with the form (name, value).
    pub(crate) keep: Vec<(&'static str, &'a str)>,
}

/// Signed out, with nowhere to return to.
#[derive(Debug, Template)]
#[template(path = "logged_out.html")]
pub(crate) struct LoggedOutPage<'a> {
    pub(crate) page: Layout<'a>,
}
