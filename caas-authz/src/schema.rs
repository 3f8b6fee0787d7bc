//! The tenant's Cedar schema with CAAS's built-in entity types: each of
//! `User`, `Group`, `Role`, `Service`, `Guest` and `ForeignUser` that the
//! tenant's schema does not declare itself (to give users attributes, say)
//! is added to it, so policies can name them in strict validation.

use std::collections::BTreeSet;

use cedar_policy::{Schema, SchemaFragment};

/// The built-in entity types and the built-in types they may be members of.
pub const BUILTIN_TYPES: [(&str, &[&str]); 6] = [
    ("Role", &["Role"]),
    ("Group", &["Group", "Role"]),
    ("User", &["Group", "Role"]),
    ("Service", &["Group", "Role"]),
    ("Guest", &["Group", "Role"]),
    ("ForeignUser", &["Role"]),
];

/// A schema error.
#[derive(Debug)]
pub(crate) struct SchemaProblem {
    pub(crate) error: Box<dyn miette::Diagnostic + Send + Sync>,
}

/// The basenames of the entity types `fragment` declares, in any namespace.
fn declared(fragment: &SchemaFragment) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    if let Ok(serde_json::Value::Object(namespaces)) = fragment.clone().to_json_value() {
        for ns in namespaces.values() {
            if let Some(types) = ns.get("entityTypes").and_then(|t| t.as_object()) {
                names.extend(types.keys().cloned());
            }
        }
    }
    names
}

/// The declarations of the built-in types `taken` leaves free, and the
/// tenant's unqualified types they may be members of.
fn builtin_text(taken: &BTreeSet<String>) -> String {
    let added: BTreeSet<&str> = BUILTIN_TYPES
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !taken.contains(*n))
        .collect();
    let mut text = String::new();
    for (name, parents) in BUILTIN_TYPES {
        if !added.contains(name) {
            continue;
        }
        // A parent the tenant renamed away (`Drive::Role`) is left out.
        let parents: Vec<&str> = parents
            .iter()
            .copied()
            .filter(|p| added.contains(p) || taken.contains(*p))
            .collect();
        text.push_str(&format!("entity {name} in [{}];\n", parents.join(", ")));
    }
    text
}

/// Parses `text` and adds the built-in types it does not declare.
pub(crate) fn parse(text: &str) -> Result<Schema, SchemaProblem> {
    let wrap = |e: Box<dyn miette::Diagnostic + Send + Sync>| SchemaProblem { error: e };
    let (tenant, _) = SchemaFragment::from_cedarschema_str(text).map_err(|e| wrap(Box::new(e)))?;
    let builtin = builtin_text(&declared(&tenant));
    let mut fragments = vec![tenant];
    if !builtin.is_empty() {
        let (b, _) =
            SchemaFragment::from_cedarschema_str(&builtin).map_err(|e| wrap(Box::new(e)))?;
        fragments.push(b);
    }
    Schema::from_schema_fragments(fragments).map_err(|e| wrap(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_types_fill_in_what_the_tenant_leaves() {
        assert!(parse("entity Doc;").is_ok());
        // The tenant's own User with attributes, still a member of Role.
        let s = parse("entity User in [Role] { level: Long }; entity Doc;").unwrap();
        assert!(s.entity_types().any(|t| t.to_string() == "Role"));
        // A namespaced User is the tenant's choice; the built-in one steps aside.
        assert!(parse("namespace Drive { entity User; entity Doc; }").is_ok());
    }
}
