//! The OpenAPI document says exactly what every route takes and sends: no
//! request body or 2xx answer is a bare `{"type": "object"}` (resolving
//! `$ref`s), and [`conforms`] checks a real body against its operation's
//! schema (used by `openapi_answers` and `openapi_auth`).

use serde_json::{Value, json};

/// Operations still allowed a bare body: (method, path, where). Shrink it;
/// never grow it.
const STILL_BARE: [(&str, &str, &str); 0] = [];

pub(super) fn doc() -> Value {
    serde_json::to_value(caas_server::openapi()).unwrap()
}

/// `schema` with a `$ref` followed into the components.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            let target = &doc["components"]["schemas"][name];
            assert!(target.is_object(), "dangling {r}");
            resolve(doc, target)
        }
        None => schema,
    }
}

/// Whether `schema` says nothing about its object (or its items' object).
fn bare(doc: &Value, schema: &Value) -> bool {
    let s = resolve(doc, schema);
    if s.get("items").is_some() {
        return bare(doc, &s["items"]);
    }
    let described = ["properties", "allOf", "oneOf", "anyOf", "enum", "const"]
        .iter()
        .any(|k| s.get(*k).is_some())
        || s["additionalProperties"].is_object();
    let scalar = match &s["type"] {
        Value::String(t) => t != "object",
        Value::Array(ts) => ts.iter().any(|t| t != "object" && t != "null"),
        _ => false,
    };
    !described && !scalar
}

/// The JSON media types of a `content` map (pages, forms and text have
/// their own shapes).
fn json_bodies(content: &serde_json::Map<String, Value>) -> impl Iterator<Item = &Value> {
    content
        .iter()
        .filter(|(media, _)| media.contains("json"))
        .map(|(_, c)| c)
}

/// (method, path, where) of every JSON request body and 2xx answer that is bare.
fn bare_bodies(doc: &Value) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let mut bodies = Vec::new();
            if let Some(content) = op["requestBody"]["content"].as_object() {
                bodies.extend(json_bodies(content).map(|c| ("request".to_owned(), c)));
            }
            for (status, r) in op["responses"].as_object().unwrap() {
                if let (true, Some(content)) = (status.starts_with('2'), r["content"].as_object()) {
                    bodies.extend(json_bodies(content).map(|c| (status.clone(), c)));
                }
            }
            for (at, c) in bodies {
                if c.get("schema").is_none_or(|s| bare(doc, s)) {
                    found.push((method.to_uppercase(), path.clone(), at));
                }
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_json_body_and_success_answer_is_described_in_openapi() {
    let doc = doc();
    let found = bare_bodies(&doc);
    let allowed: Vec<(String, String, String)> = STILL_BARE
        .iter()
        .map(|(m, p, w)| ((*m).to_owned(), (*p).to_owned(), (*w).to_owned()))
        .collect();
    let new: Vec<_> = found.iter().filter(|f| !allowed.contains(f)).collect();
    assert!(
        new.is_empty(),
        "bare {{\"type\": \"object\"}} bodies: {new:?}"
    );
    let stale: Vec<_> = allowed.iter().filter(|a| !found.contains(a)).collect();
    assert!(
        stale.is_empty(),
        "described now, drop from STILL_BARE: {stale:?}"
    );
    // The checker itself sees a bare object.
    assert!(bare(&doc, &json!({ "type": "object" })));
    assert!(bare(
        &doc,
        &json!({ "type": "array", "items": { "type": "object" } })
    ));
    assert!(!bare(
        &doc,
        &json!({ "$ref": "#/components/schemas/LegalHold" })
    ));
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The property names `schema` documents, through `allOf`/`oneOf`/`anyOf`.
fn documented(doc: &Value, schema: &Value, names: &mut Vec<String>) {
    let s = resolve(doc, schema);
    if let Some(p) = s["properties"].as_object() {
        names.extend(p.keys().cloned());
    }
    for k in ["allOf", "oneOf", "anyOf"] {
        for sub in s[k].as_array().into_iter().flatten() {
            documented(doc, sub, names);
        }
    }
}

/// Where `value` does not conform to `schema` (a small subset of JSON
/// Schema: types, enums, required and documented properties, items,
/// maps, allOf/oneOf/anyOf). `whole`: `schema` is all there is of the
/// value (not one part of an `allOf`), so an undocumented key is a mismatch.
fn mismatches(
    doc: &Value,
    schema: &Value,
    value: &Value,
    whole: bool,
    at: &str,
    out: &mut Vec<String>,
) {
    let s = resolve(doc, schema);
    let t = type_of(value);
    let types: Vec<&str> = match &s["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty()
        && !types
            .iter()
            .any(|x| *x == t || (*x == "number" && t == "integer"))
    {
        out.push(format!("{at}: {t}, documented {types:?}"));
        return;
    }
    if let Some(e) = s["enum"].as_array()
        && !e.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {e:?}"));
    }
    for sub in s["allOf"].as_array().into_iter().flatten() {
        mismatches(doc, sub, value, false, at, out);
    }
    for k in ["oneOf", "anyOf"] {
        if let Some(subs) = s[k].as_array() {
            let fits = subs.iter().any(|sub| {
                let mut e = Vec::new();
                mismatches(doc, sub, value, false, at, &mut e);
                e.is_empty()
            });
            if !fits {
                out.push(format!("{at}: {value} fits none of {k}"));
            }
        }
    }
    if let Value::Array(items) = value
        && s.get("items").is_some()
    {
        for (i, item) in items.iter().enumerate() {
            mismatches(doc, &s["items"], item, true, &format!("{at}[{i}]"), out);
        }
    }
    let Value::Object(fields) = value else {
        return;
    };
    for r in s["required"].as_array().into_iter().flatten() {
        if let Some(r) = r.as_str()
            && !fields.contains_key(r)
        {
            out.push(format!("{at}: `{r}` is required but missing"));
        }
    }
    let props = &s["properties"];
    let mut names = Vec::new();
    documented(doc, s, &mut names);
    for (k, v) in fields {
        if props.get(k).is_some() {
            mismatches(doc, &props[k], v, true, &format!("{at}.{k}"), out);
        } else if s["additionalProperties"].is_object() {
            mismatches(
                doc,
                &s["additionalProperties"],
                v,
                true,
                &format!("{at}.{k}"),
                out,
            );
        } else if whole && !names.is_empty() && !names.contains(k) {
            out.push(format!("{at}: `{k}` is sent but not documented"));
        }
    }
}

/// Checks `value` against the schema of `method path` for `status`
/// (`"request"` for the request body).
pub(super) fn conforms(doc: &Value, method: &str, path: &str, status: &str, value: &Value) {
    let op = &doc["paths"][path][method];
    let body = if status == "request" {
        &op["requestBody"]
    } else {
        &op["responses"][status]
    };
    let schema = &body["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status}: no JSON schema"
    );
    let mut out = Vec::new();
    mismatches(doc, schema, value, true, "$", &mut out);
    assert!(
        out.is_empty(),
        "{method} {path} {status}: {out:#?}\n{value:#}"
    );
}
