//! [`Claims`] of a CAAS access token, and the principal they describe.

use caas_core::{Principal, PrincipalKind, TenantId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `aud`: one audience serializes as a string, several as an array (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience(pub Vec<String>);

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(Audience(match OneOrMany::deserialize(d)? {
            OneOrMany::One(a) => vec![a],
            OneOrMany::Many(a) => a,
        }))
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer: the tenant's issuer URL (`{public_url}/t/{slug}`).
    pub iss: String,
    /// Subject: the user id, API key id or guest id.
    pub sub: String,
    /// Audience.
    pub aud: Audience,
    /// Expires (unix seconds).
    pub exp: i64,
    /// Not before (unix seconds).
    pub nbf: i64,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Token id (revocable).
    pub jti: String,
    /// The tenant.
    pub tenant_id: TenantId,
    /// The session, if the token belongs to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Space-separated scopes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// Roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// What kind of principal.
    pub kind: PrincipalKind,
    /// Authentication methods (RFC 8176: `pwd`, `otp`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    /// When the user authenticated (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The OAuth client the token was issued to (RFC 9068 §2.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The user a derived credential acts for (a token exchanged for an
    /// API key): its rights are capped by the owner's at every use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl Claims {
    /// The principal the token stands for; `sid`, `jti` and `amr` become
    /// attributes.
    pub fn principal(&self) -> Principal {
        let mut p = Principal::new(self.sub.clone(), Some(self.tenant_id), self.kind);
        p.roles = self.roles.iter().cloned().collect();
        p.scopes = self.scope.split_whitespace().map(str::to_owned).collect();
        p.owner = self.owner.clone();
        p.attributes
            .insert("jti".into(), serde_json::Value::String(self.jti.clone()));
        if let Some(sid) = &self.sid {
            p.attributes
                .insert("sid".into(), serde_json::Value::String(sid.clone()));
        }
        if let Some(client) = &self.client_id {
            p.attributes.insert(
                "client_id".into(),
                serde_json::Value::String(client.clone()),
            );
        }
        if !self.amr.is_empty() {
            p.attributes
                .insert("amr".into(), serde_json::json!(self.amr));
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_audience_is_a_string_several_an_array() {
        assert_eq!(
            serde_json::to_string(&Audience(vec!["a".into()])).unwrap(),
            "\"a\""
        );
        assert_eq!(
            serde_json::to_string(&Audience(vec!["a".into(), "b".into()])).unwrap(),
            "[\"a\",\"b\"]"
        );
        let back: Audience = serde_json::from_str("\"a\"").unwrap();
        assert_eq!(back.0, ["a"]);
    }
}
