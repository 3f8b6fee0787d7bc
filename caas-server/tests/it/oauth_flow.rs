//! The provider's pages as a browser without JavaScript drives them: one
//! authorization-code flow with PKCE (login, consent, code, token), shared
//! by the tests that need a token a user delegated to a client.

use reqwest::Response;
use reqwest::redirect::Policy;
use serde_json::Value;

/// The redirect URI the tests register.
pub(crate) const REDIRECT: &str = "https://app.example.com/cb";
/// RFC 7636 appendix B: the verifier and its S256 challenge.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A client that follows no redirect (the tests read each `Location`).
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The value of the hidden form field `name`.
pub(crate) fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The `name=value` pairs of a response's cookies, as a `Cookie` header.
pub(crate) fn cookies(r: &Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

fn escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A user's sign-in to a confidential client.
pub(crate) struct Flow<'a> {
    /// The server's base URL (`http://127.0.0.1:<port>`).
    pub(crate) base: String,
    pub(crate) slug: &'a str,
    /// The client as `POST /v1/oauth/clients` answered (`id`, `client_secret`).
    pub(crate) client: &'a Value,
    pub(crate) login: &'a str,
    pub(crate) password: &'a str,
}

impl Flow<'_> {
    /// Authorize (asking for `scope`), log in, consent where asked, redeem
    /// the code: the token endpoint's answer.
    pub(crate) async fn token(&self, scope: &str) -> Value {
        let (b, slug) = (browser(), self.slug);
        let url = |path: &str| format!("{}{path}", self.base);
        let id = self.client["id"].as_str().unwrap();
        let authorize = url(&format!(
            "/t/{slug}/oauth2/authorize?response_type=code&client_id={id}&redirect_uri={}&scope={}&state=st&nonce=n&code_challenge={CHALLENGE}&code_challenge_method=S256",
            escape(REDIRECT),
            escape(scope)
        ));
        let r = b.get(authorize).send().await.unwrap();
        assert_eq!(r.status(), 303, "authorize");
        let page = b
            .get(url(r.headers()["location"].to_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "login page");
        let mut jar = cookies(&page);
        let html = page.text().await.unwrap();
        let request = field(&html, "request");
        let mut r = b
            .post(url(&format!("/t/{slug}/oauth2/login")))
            .header("cookie", &jar)
            .form(&[
                ("csrf", field(&html, "csrf")),
                ("request", request.clone()),
                ("login", self.login.to_owned()),
                ("password", self.password.to_owned()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "login");
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        if location.contains("/oauth2/consent") {
            jar = format!("{jar}; {}", cookies(&r));
            let html = b
                .get(url(&location))
                .header("cookie", &jar)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            r = b
                .post(url(&format!("/t/{slug}/oauth2/consent")))
                .header("cookie", &jar)
                .form(&[
                    ("csrf", field(&html, "csrf")),
                    ("request", request),
                    ("decision", "allow".to_owned()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303, "consent");
        }
        let back = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
        let code = back
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no code in {back}"));
        let r = b
            .post(url(&format!("/t/{slug}/oauth2/token")))
            .basic_auth(id, self.client["client_secret"].as_str())
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "token endpoint");
        r.json().await.unwrap()
    }
}
