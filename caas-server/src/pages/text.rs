//! The pages' words in English and Slovenian, chosen from `ui_locales`
//! and then `Accept-Language`.

/// Every string a page shows (each field is named after its use).
#[allow(
    missing_docs,
    reason = "each field is named after the place it is shown"
)]
#[derive(Debug)]
pub struct Text {
    /// `lang` attribute.
    pub lang: &'static str,
    pub sign_in: &'static str,
    pub sign_in_to: &'static str,
    pub login: &'static str,
    pub password: &'static str,
    pub submit_login: &'static str,
    pub wrong_login: &'static str,
    pub locked: &'static str,
    pub guest: &'static str,
    pub or_continue_with: &'static str,
    pub mfa_title: &'static str,
    pub mfa_help: &'static str,
    pub code: &'static str,
    pub trust_device: &'static str,
    pub verify: &'static str,
    pub wrong_code: &'static str,
    pub consent_title: &'static str,
    pub consent_intro: &'static str,
    pub allow: &'static str,
    pub deny: &'static str,
    pub logout_title: &'static str,
    pub logout_question: &'static str,
    pub logout_from: &'static str,
    pub logout_yes: &'static str,
    pub logged_out: &'static str,
    pub error_title: &'static str,
    pub expired: &'static str,
    pub csrf: &'static str,
    pub scope_openid: &'static str,
    pub scope_profile: &'static str,
    pub scope_email: &'static str,
    pub scope_offline: &'static str,
    pub scope_api: &'static str,
}

/// English.
pub const EN: Text = Text {
    lang: "en",
    sign_in: "Sign in",
    sign_in_to: "to continue to",
    login: "Email or username",
    password: "Password",
    submit_login: "Sign in",
    wrong_login: "The login or the password is wrong.",
    locked: "Too many attempts. Wait a while and try again.",
    guest: "Continue as guest",
    or_continue_with: "Or continue with",
    mfa_title: "Two-step verification",
    mfa_help: "Enter the 6-digit code from your authenticator app, or a backup code.",
    code: "Code",
    trust_device: "Trust this device",
    verify: "Verify",
    wrong_code: "The code is wrong or was already used.",
    consent_title: "Allow access?",
    consent_intro: "wants to access your account:",
    allow: "Allow",
    deny: "Deny",
    logout_title: "Sign out",
    logout_question: "Do you want to sign out?",
    logout_from: "You are signing out of",
    logout_yes: "Sign out",
    logged_out: "You have signed out.",
    error_title: "Something went wrong",
    expired: "This sign-in request expired. Go back to the application and start again.",
    csrf: "The form expired. Reload the page and try again.",
    scope_openid: "Know who you are",
    scope_profile: "See your name and username",
    scope_email: "See your email address",
    scope_offline: "Stay signed in when you are away",
    scope_api: "Use",
};

/// Slovenian.
pub const SL: Text = Text {
    lang: "sl",
    sign_in: "Prijava",
    sign_in_to: "za nadaljevanje v",
    login: "E-pošta ali uporabniško ime",
    password: "Geslo",
    submit_login: "Prijava",
    wrong_login: "Uporabniško ime ali geslo ni pravilno.",
    locked: "Preveč poskusov. Počakajte in poskusite znova.",
    guest: "Nadaljuj kot gost",
    or_continue_with: "Ali nadaljujte z",
    mfa_title: "Preverjanje v dveh korakih",
    mfa_help: "Vnesite 6-mestno kodo iz aplikacije za preverjanje ali rezervno kodo.",
    code: "Koda",
    trust_device: "Zaupaj tej napravi",
    verify: "Preveri",
    wrong_code: "Koda ni pravilna ali je bila že uporabljena.",
    consent_title: "Dovolite dostop?",
    consent_intro: "želi dostop do vašega računa:",
    allow: "Dovoli",
    deny: "Zavrni",
    logout_title: "Odjava",
    logout_question: "Se želite odjaviti?",
    logout_from: "Odjavljate se iz",
    logout_yes: "Odjava",
    logged_out: "Odjavljeni ste.",
    error_title: "Prišlo je do napake",
    expired: "Zahteva za prijavo je potekla. Vrnite se v aplikacijo in začnite znova.",
    csrf: "Obrazec je potekel. Osvežite stran in poskusite znova.",
    scope_openid: "Ve, kdo ste",
    scope_profile: "Vidi vaše ime in uporabniško ime",
    scope_email: "Vidi vaš e-poštni naslov",
    scope_offline: "Ostane prijavljena, ko niste prisotni",
    scope_api: "Uporablja",
};

/// The language for `ui_locales` (space-separated, in order of preference),
/// then `Accept-Language`; English by default.
pub fn choose(ui_locales: Option<&str>, accept_language: Option<&str>) -> &'static Text {
    let wanted = ui_locales.unwrap_or("").split_whitespace().chain(
        accept_language
            .unwrap_or("")
            .split(',')
            .map(|l| l.split(';').next().unwrap_or("").trim()),
    );
    for tag in wanted {
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "sl" => return &SL,
            "en" => return &EN,
            _ => {}
        }
    }
    &EN
}

impl Text {
    /// What a scope lets the client do.
    pub fn scope(&self, scope: &str) -> String {
        match scope {
            "openid" => self.scope_openid.to_owned(),
            "profile" => self.scope_profile.to_owned(),
            "email" => self.scope_email.to_owned(),
            "offline_access" => self.scope_offline.to_owned(),
            other => format!("{} `{other}`", self.scope_api),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_locales_win_then_accept_language_then_english() {
        assert_eq!(choose(Some("sl en"), Some("en")).lang, "sl");
        assert_eq!(choose(Some("de"), Some("sl-SI,en;q=0.5")).lang, "sl");
        assert_eq!(choose(None, Some("fr, en-GB;q=0.8")).lang, "en");
        assert_eq!(choose(None, None).lang, "en");
    }
}
