//! What `templates/layout.html` shows around every page: the language, the
//! title and the tenant's branding (name, logo, colours from
//! `settings.extensions.branding`), each checked before it reaches the page.

use caas_core::{Branding, Tenant};

use super::Text;

/// The layout's values; every page template has one as `page`.
#[derive(Debug)]
pub(crate) struct Layout<'a> {
    /// The page's words (and its `lang`).
    pub(crate) text: &'a Text,
    /// The page's title (before the tenant's name).
    pub(crate) title: &'a str,
    /// The tenant's display name.
    pub(crate) name: String,
    /// The primary colour, `#rgb` or `#rrggbb`.
    pub(crate) primary: String,
    /// The background colour, `#rgb` or `#rrggbb`.
    pub(crate) background: String,
    /// The logo: an https URL under 2000 characters.
    pub(crate) logo: Option<String>,
}

impl<'a> Layout<'a> {
    /// The layout of `tenant`'s page titled `title`.
    pub(crate) fn new(tenant: &Tenant, text: &'a Text, title: &'a str) -> Self {
        let b = Branding::of(&tenant.settings);
        Layout {
            text,
            title,
            name: b.display_name.unwrap_or_else(|| tenant.name.clone()),
            primary: color(b.primary_color.as_deref(), "#1f5fbf"),
            background: color(b.background_color.as_deref(), "#f4f5f7"),
            logo: b
                .logo_url
                .filter(|u| u.starts_with("https://") && u.len() < 2000),
        }
    }
}

/// `c` if it is a hex colour (`#rgb`, `#rrggbb`), else `default`: nothing
/// else reaches the CSS.
fn color(c: Option<&str>, default: &'static str) -> String {
    match c {
        Some(c)
            if (c.len() == 4 || c.len() == 7)
                && c.starts_with('#')
                && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            c.to_owned()
        }
        _ => default.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_colours_reach_css() {
        assert_eq!(color(Some("#abc"), "#000"), "#abc");
        assert_eq!(color(Some("#a1b2c3"), "#000"), "#a1b2c3");
        assert_eq!(color(Some("red;}body{x"), "#000"), "#000");
        assert_eq!(color(Some("#12345g"), "#000"), "#000");
    }
}
