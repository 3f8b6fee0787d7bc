//! Real answers of the privacy and game routes, and the requests that got
//! them, conform to the schemas `/openapi.json` documents for them.

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Gateway, Go, Stack, on_both_stacks};
use super::openapi_schemas::{conforms, doc};

/// A tenant, its users and the document to check against.
struct Flow<'a> {
    gw: &'a Gateway,
    doc: Value,
    slug: String,
    tid: String,
}

impl Flow<'_> {
    async fn new(gw: &Gateway) -> Flow<'_> {
        let slug = gw.tenant(json!({})).await;
        let tid = gw.tenant_id(&slug).await;
        Flow {
            gw,
            doc: doc(),
            slug,
            tid,
        }
    }

    /// `who` (`admin`: the admin key in the tenant; otherwise that user)
    /// calls `op` (`"POST /v1/games/{id}/moves"`, `{…}` filled with `id`),
    /// sending `body`; checks the body, the status and the answer.
    async fn call(&self, who: &str, op: &str, id: &str, body: Option<Value>, status: u16) -> Value {
        let (method, template) = op.split_once(' ').unwrap();
        let path = template.replace("{id}", id).replace("{purpose}", id);
        let m: Method = method.parse().unwrap();
        let mut req = match who {
            "admin" => self.gw.in_tenant(&self.slug, m, &path),
            user => self.gw.as_named(&self.tid, &self.slug, user, m, &path),
        };
        let method = method.to_lowercase();
        if let Some(b) = body {
            conforms(&self.doc, &method, template, "request", &b);
            req = req.json(&b);
        }
        let r = req.go().await;
        let got = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(got, status, "{op}: {text}");
        let value: Value = serde_json::from_str(&text).unwrap();
        conforms(&self.doc, &method, template, &got.to_string(), &value);
        value
    }
}

async fn privacy_answers_match_their_schemas(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let f = Flow::new(&gw).await;
    let purpose = json!({ "id": "newsletter", "description": "News by mail",
        "legal_basis": "consent", "categories": ["email"], "retention": "until withdrawn" });
    f.call("admin", "POST /v1/privacy/purposes", "", Some(purpose), 200)
        .await;
    f.call("ana", "GET /v1/privacy/purposes", "", None, 200)
        .await;
    let give = json!({ "purpose": "newsletter", "notice_version": "v1",
        "consent_type": "explicit", "valid_days": 30 });
    f.call("ana", "POST /v1/privacy/consents", "", Some(give), 201)
        .await;
    f.call("ana", "GET /v1/privacy/consents", "", None, 200)
        .await;
    let withdraw = "POST /v1/privacy/consents/{purpose}/withdraw";
    f.call("ana", withdraw, "newsletter", None, 200).await;
    // Requests: access (verified, approved, exported), one extended and
    // denied, an erasure.
    let file = "POST /v1/privacy/requests";
    let verify = "POST /v1/privacy/requests/{id}/verify";
    let approve = "POST /v1/privacy/requests/{id}/approve";
    let access = f
        .call("ana", file, "", Some(json!({ "kind": "access" })), 201)
        .await;
    let id = access["id"].as_str().unwrap();
    f.call("admin", verify, id, Some(json!({ "note": "id card" })), 200)
        .await;
    f.call("admin", approve, id, None, 200).await;
    f.call("ana", "GET /v1/privacy/requests/{id}/export", id, None, 200)
        .await;
    f.call("ana", "GET /v1/privacy/requests/{id}", id, None, 200)
        .await;
    let fix = json!({ "kind": "rectification", "details": "my name is Ana" });
    let other = f.call("ana", file, "", Some(fix), 201).await;
    let oid = other["id"].as_str().unwrap();
    let extend = json!({ "months": 1, "reason": "many sources" });
    f.call(
        "admin",
        "POST /v1/privacy/requests/{id}/extend",
        oid,
        Some(extend),
        200,
    )
    .await;
    let deny = json!({ "note": "already correct" });
    f.call(
        "admin",
        "POST /v1/privacy/requests/{id}/deny",
        oid,
        Some(deny),
        200,
    )
    .await;
    let erase = json!({ "kind": "erasure", "method": "anonymize" });
    let erase = f.call("bob", file, "", Some(erase), 201).await;
    let eid = erase["id"].as_str().unwrap();
    f.call("admin", verify, eid, Some(json!({})), 200).await;
    f.call("admin", approve, eid, None, 200).await;
    f.call("admin", "GET /v1/privacy/requests", "", None, 200)
        .await;
    let log = f
        .call("admin", "GET /v1/privacy/deletion-log", "", None, 200)
        .await;
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
    // Governance.
    let policy = json!({ "category": "game_history", "max_age_days": 365, "action": "delete" });
    f.call(
        "admin",
        "POST /v1/privacy/retention-policies",
        "",
        Some(policy),
        200,
    )
    .await;
    f.call("admin", "GET /v1/privacy/retention-policies", "", None, 200)
        .await;
    let place = "POST /v1/privacy/legal-holds";
    let hold = json!({ "subject": "ana", "reason": "dispute", "case_reference": "C-1",
        "ends_at": "2999-01-01T00:00:00Z" });
    let hold = f.call("admin", place, "", Some(hold), 201).await;
    let wide = json!({ "tenant_wide": true, "reason": "audit", "case_reference": "C-2" });
    f.call("admin", place, "", Some(wide), 201).await;
    let release = "POST /v1/privacy/legal-holds/{id}/release";
    let settled = json!({ "reason": "settled" });
    f.call(
        "admin",
        release,
        hold["id"].as_str().unwrap(),
        Some(settled),
        200,
    )
    .await;
    f.call("admin", "GET /v1/privacy/legal-holds", "", None, 200)
        .await;
    let breach = json!({ "nature": "lost laptop", "categories": ["email"],
        "approx_subjects": 3, "high_risk": true });
    let breach = f
        .call("admin", "POST /v1/privacy/breaches", "", Some(breach), 201)
        .await;
    let update =
        json!({ "measures": "remote wipe", "subjects_notified_at": breach["detected_at"] });
    let bid = breach["id"].as_str().unwrap();
    f.call(
        "admin",
        "PATCH /v1/privacy/breaches/{id}",
        bid,
        Some(update),
        200,
    )
    .await;
    f.call("admin", "GET /v1/privacy/breaches", "", None, 200)
        .await;
    let processing = "/v1/privacy/processing-activities";
    f.call("admin", &format!("GET {processing}"), "", None, 200)
        .await;
    let records = json!({ "controller": { "name": "Shop", "contact": "dpo@example.com" },
        "activities": [{ "name": "newsletter", "purposes": ["newsletter"],
            "subject_categories": ["customers"], "data_categories": ["email"],
            "retention": "until withdrawn", "security_measures": "TLS" }] });
    f.call(
        "admin",
        &format!("PUT {processing}"),
        "",
        Some(records),
        200,
    )
    .await;
    gw.stop().await;
}

async fn game_answers_match_their_schemas(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let f = Flow::new(&gw).await;
    let weapon = |id: &str| json!({ "id": id, "names": { "sl": id, "en": id } });
    let trio = json!({ "id": "trio", "names": { "sl": "Trojka", "en": "Trio" },
        "weapons": [weapon("a"), weapon("b"), weapon("c")],
        "beats": [["a", "b"], ["b", "c"], ["c", "a"]], "target": 3 });
    f.call("admin", "POST /v1/games/rulesets", "", Some(trio), 201)
        .await;
    f.call("ana", "GET /v1/games/rulesets", "", None, 200).await;
    let computer = json!({ "ruleset": "trio", "opponent": "computer", "target": 1 });
    let started = f
        .call("ana", "POST /v1/games", "", Some(computer), 201)
        .await;
    let id = started["game"]["id"].as_str().unwrap();
    let moves = "POST /v1/games/{id}/moves";
    for _ in 0..100 {
        let moved = f
            .call("ana", moves, id, Some(json!({ "weapon": "a" })), 200)
            .await;
        if moved["game"]["state"] == "finished" {
            break;
        }
    }
    f.call("ana", "GET /v1/games/{id}", id, None, 200).await;
    // A player game in commit–reveal mode: an invite code, a pending
    // commitment, a deadline.
    let pvp = json!({ "ruleset": "ksp", "opponent": "player", "mode": "commit_reveal",
        "move_timeout_secs": 600 });
    let pvp = f.call("ana", "POST /v1/games", "", Some(pvp), 201).await;
    let pid = pvp["game"]["id"].as_str().unwrap();
    let code = json!({ "code": pvp["invite_code"] });
    f.call("bob", "POST /v1/games/{id}/join", pid, Some(code), 200)
        .await;
    let commit = json!({ "commitment": "0".repeat(64) });
    f.call("ana", moves, pid, Some(commit), 200).await;
    f.call("ana", "GET /v1/games/{id}", pid, None, 200).await;
    f.call("bob", "GET /v1/games/{id}", pid, None, 200).await;
    let history = f.call("ana", "GET /v1/games/history", "", None, 200).await;
    assert_eq!(history["total"], 1, "{history}");
    f.call("ana", "GET /v1/games/stats", "", None, 200).await;
    f.call("ana", "DELETE /v1/games/history", "", None, 200)
        .await;
    gw.stop().await;
}

on_both_stacks!(
    privacy_answers_match_their_schemas,
    game_answers_match_their_schemas
);
