//! The names CAAS gives things in Cedar: the built-in entity types,
//! [`EntityRef`] (an entity's type and id, as the API sends it) and action
//! names.
//!
//! - `User::"<subject>"`: a user of the tenant; `Guest`, `Service` (API
//!   keys, client-credentials clients) likewise.
//! - `Group::"<id>"`: a group; members have it as a parent.
//! - `Role::"<name>"`: a role; holders have it as a parent, and a role
//!   that inherits another has that one as a parent.
//! - `ForeignUser::"<tenant id>/<subject>"`: a principal of another tenant,
//!   which only cross-tenant grants can give anything.
//! - Actions: `Action::"read"`, or any namespaced action uid.
//!
//! They live in Cedar's empty namespace (a namespaced `Caas::User` would
//! clash with the `User` most tenant schemas declare: Cedar forbids a
//! namespaced type to shadow an unqualified one).

use std::fmt;
use std::str::FromStr;

use caas_core::validate::Identifier;
use caas_core::{Error, Principal, PrincipalKind, Result, TenantId};
use cedar_policy::{EntityId, EntityTypeName, EntityUid};
use serde::{Deserialize, Serialize};

/// The entity type of a tenant's users.
pub const USER: &str = "User";
/// The entity type of guests.
pub const GUEST: &str = "Guest";
/// The entity type of machine principals.
pub const SERVICE: &str = "Service";
/// The entity type of groups.
pub const GROUP: &str = "Group";
/// The entity type of roles.
pub const ROLE: &str = "Role";
/// The entity type of another tenant's principals.
pub const FOREIGN_USER: &str = "ForeignUser";

/// The longest entity type name accepted.
pub const MAX_TYPE_LEN: usize = 128;
/// The longest entity id accepted.
pub const MAX_ID_LEN: usize = 256;

/// An entity's type and id: `{"type": "Doc", "id": "d1"}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityRef {
    /// The Cedar entity type, e.g. `Doc`, `Group` or `Drive::Folder`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The id.
    pub id: String,
}

impl EntityRef {
    /// `ty::"id"`.
    pub fn new(ty: impl Into<String>, id: impl Into<String>) -> Self {
        EntityRef {
            ty: ty.into(),
            id: id.into(),
        }
    }

    /// The role `name`.
    pub fn role(name: &str) -> Self {
        EntityRef::new(ROLE, name)
    }

    /// The principal of another tenant `tenant` with subject `subject`.
    pub fn foreign(tenant: &TenantId, subject: &str) -> Self {
        EntityRef::new(FOREIGN_USER, format!("{tenant}/{subject}"))
    }

    /// How `p` appears in tenant `tenant`'s decisions: one of its own
    /// users, guests or services, or a foreign user.
    pub fn principal(p: &Principal, tenant: &TenantId) -> Self {
        match p.tenant {
            Some(home) if home != *tenant => EntityRef::foreign(&home, &p.subject),
            _ => match p.kind {
                PrincipalKind::User => EntityRef::new(USER, &p.subject),
                PrincipalKind::Guest => EntityRef::new(GUEST, &p.subject),
                PrincipalKind::Service => EntityRef::new(SERVICE, &p.subject),
            },
        }
    }

    /// Checks the type name and id; the Cedar uid.
    pub fn uid(&self) -> Result<EntityUid> {
        if self.ty.is_empty() || self.ty.len() > MAX_TYPE_LEN {
            return Err(Error::invalid_input(format!(
                "an entity type is 1 to {MAX_TYPE_LEN} bytes"
            ))
            .with_field("type"));
        }
        if self.id.is_empty() || self.id.len() > MAX_ID_LEN || self.id.chars().any(char::is_control)
        {
            return Err(Error::invalid_input(format!(
                "an entity id is 1 to {MAX_ID_LEN} bytes without control characters"
            ))
            .with_field("id"));
        }
        let ty = EntityTypeName::from_str(&self.ty).map_err(|_| {
            Error::invalid_input(format!(
                "`{}` is not a Cedar entity type name (like `Doc` or `Drive::Folder`)",
                self.ty
            ))
            .with_field("type")
        })?;
        Ok(EntityUid::from_type_name_and_id(
            ty,
            EntityId::new(&self.id),
        ))
    }

    /// The reference of a Cedar uid.
    pub fn of(uid: &EntityUid) -> Self {
        EntityRef::new(uid.type_name().to_string(), uid.id().unescaped())
    }

    /// Whether this is a role.
    pub fn is_role(&self) -> bool {
        self.ty == ROLE
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{:?}", self.ty, self.id)
    }
}

/// The action uid of `name`: `read` is `Action::"read"`; a full uid such as
/// `Drive::Action::"read"` is taken as it is.
pub fn action_uid(name: &str) -> Result<EntityUid> {
    let bad = || {
        Error::invalid_input(format!(
            "`{name}` is not an action: use a name like `read` or a uid like `Action::\"read\"`"
        ))
        .with_field("action")
    };
    if name.is_empty() || name.len() > MAX_ID_LEN {
        return Err(bad());
    }
    if name.contains("::") {
        let uid = EntityUid::from_str(name).map_err(|_| bad())?;
        let ty = uid.type_name();
        if ty.basename() != "Action" {
            return Err(bad());
        }
        return Ok(uid);
    }
    if name.chars().any(|c| c.is_control() || c == '"') {
        return Err(bad());
    }
    Ok(EntityUid::from_type_name_and_id(
        EntityTypeName::from_str("Action").map_err(|_| bad())?,
        EntityId::new(name),
    ))
}

/// The name of an action for answers: `read` for `Action::"read"`, the
/// whole uid otherwise.
pub fn action_name(uid: &EntityUid) -> String {
    if uid.type_name().to_string() == "Action" {
        uid.id().unescaped().to_owned()
    } else {
        uid.to_string()
    }
}

/// The shape of role and permission names: 1–64 of a-z, 0-9, `_`, `-`,
/// `.`, `:`.
pub const NAME: Identifier<'static> = Identifier::new(64, &['_', '-', '.', ':']);

/// Checks a role or permission name (see [`NAME`]).
pub fn check_name(name: &str, field: &'static str) -> Result<()> {
    NAME.check(name, field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_and_actions_round_trip() {
        let r = EntityRef::new("Drive::Folder", "a \"quoted\" id");
        let uid = r.uid().unwrap();
        assert_eq!(EntityRef::of(&uid), r);
        assert!(EntityRef::new("not a type", "x").uid().is_err());
        assert!(EntityRef::new("Doc", "").uid().is_err());
        assert_eq!(action_uid("read").unwrap().to_string(), "Action::\"read\"");
        assert_eq!(
            action_name(&action_uid("Drive::Action::\"read\"").unwrap()),
            "Drive::Action::\"read\""
        );
        assert!(action_uid("Doc::\"x\"").is_err());
        assert!(check_name("editor", "role").is_ok());
        assert!(check_name("Editor", "role").is_err());
    }
}
