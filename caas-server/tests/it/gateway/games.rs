//! caas-game over HTTP: full KSP and KSPOV matches against the computer, a
//! player-vs-player match in which polling (and the event stream) never
//! shows the opponent's pending move, commit–reveal with a wrong reveal
//! refused, concurrent moves through two instances on PostgreSQL + Redis,
//! history, statistics and deletion, a guest's game, custom rule sets, bad
//! input, and another tenant's user getting 404.

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::harness::{Gateway, Go, Stack, on_both_stacks};

struct Players<'a> {
    gw: &'a Gateway,
    id: String,
    slug: String,
}

impl Players<'_> {
    fn call(&self, who: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.gw.as_named(&self.id, &self.slug, who, method, path)
    }

    async fn start(&self, who: &str, body: Value) -> Value {
        let r = self
            .call(who, Method::POST, "/v1/games")
            .json(&body)
            .go()
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    async fn mv(&self, who: &str, game: &str, body: Value) -> reqwest::Response {
        self.call(who, Method::POST, &format!("/v1/games/{game}/moves"))
            .json(&body)
            .go()
            .await
    }
}

async fn problem(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], code, "{p}");
    p
}

/// Plays `who`'s computer game to the end with `weapon`; the final view.
async fn to_the_end(p: &Players<'_>, who: &str, game: &str, weapon: &str) -> Value {
    for _ in 0..1_000 {
        let r = p.mv(who, game, json!({ "weapon": weapon })).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let moved: Value = r.json().await.unwrap();
        assert!(moved["round"].is_object());
        if moved["game"]["state"] == "finished" {
            return moved["game"].clone();
        }
    }
    panic!("the match did not end");
}

async fn games_over_http(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = gw
        .tenant(json!({ "extensions": { "auth": { "allow_guests": true } } }))
        .await;
    let p = Players {
        gw: &gw,
        id: gw.tenant_id(&slug).await,
        slug,
    };

    // Rule sets: the built-ins; a player may not define one, an admin may;
    // an incomplete relation is refused with the pair named.
    let sets = p
        .call("ana", Method::GET, "/v1/games/rulesets")
        .value()
        .await;
    assert_eq!(sets[0]["id"], "ksp");
    assert_eq!(
        sets[1]["weapons"][3]["names"],
        json!({ "sl": "ogenj", "en": "fire" })
    );
    let custom = json!({
        "id": "trio", "names": { "sl": "Trojka", "en": "Trio" },
        "weapons": [
            { "id": "a", "names": { "sl": "a-sl", "en": "a-en" } },
            { "id": "b", "names": { "sl": "b-sl", "en": "b-en" } },
            { "id": "c", "names": { "sl": "c-sl", "en": "c-en" } }
        ],
        "beats": [["a", "b"], ["b", "c"]], "target": 3
    });
    let r = p
        .call("ana", Method::POST, "/v1/games/rulesets")
        .json(&custom)
        .go()
        .await;
    assert_eq!(r.status(), 403);
    let admin = |m: Method, path: &str| gw.in_tenant(&p.slug, m, path);
    let bad = problem(
        admin(Method::POST, "/v1/games/rulesets")
            .json(&custom)
            .go()
            .await,
        400,
        "incomplete_beats",
    )
    .await;
    assert!(
        bad["detail"]
            .as_str()
            .unwrap()
            .contains("neither `a` nor `c`"),
        "{bad}"
    );
    let mut fixed = custom.clone();
    fixed["beats"] = json!([["a", "b"], ["b", "c"], ["c", "a"]]);
    assert_eq!(
        admin(Method::POST, "/v1/games/rulesets")
            .json(&fixed)
            .go()
            .await
            .status(),
        201
    );

    // Full matches against the computer.
    for (ruleset, target, weapon) in [
        ("ksp", 7, "kamen"),
        ("kspov", 15, "Ogenj"),
        ("trio", 3, "b-en"),
    ] {
        let started = p
            .start("ana", json!({ "ruleset": ruleset, "opponent": "computer" }))
            .await;
        let game = started["game"]["id"].as_str().unwrap().to_owned();
        assert_eq!(started["game"]["target"], target);
        assert!(started.get("invite_code").is_none());
        let end = to_the_end(&p, "ana", &game, weapon).await;
        let scores: Vec<u64> = serde_json::from_value(end["scores"].clone()).unwrap();
        assert_eq!(scores.iter().sum::<u64>(), target);
        assert!(end["winner"].is_u64());
        // A move after the end, and bad weapons.
        problem(
            p.mv("ana", &game, json!({ "weapon": "rock" })).await,
            409,
            "match_finished",
        )
        .await;
    }
    let started = p
        .start("ana", json!({ "ruleset": "ksp", "opponent": "computer" }))
        .await;
    let game = started["game"]["id"].as_str().unwrap().to_owned();
    let unknown = problem(
        p.mv("ana", &game, json!({ "weapon": "lizard" })).await,
        400,
        "unknown_weapon",
    )
    .await;
    assert!(
        unknown["detail"]
            .as_str()
            .unwrap()
            .contains("1 rock (kamen)")
    );
    problem(
        p.mv("ana", &game, json!({ "weapon": "fire" })).await,
        400,
        "unknown_weapon",
    )
    .await;
    problem(p.mv("ana", &game, json!({})).await, 400, "invalid_input").await;
    problem(
        p.call("ana", Method::POST, "/v1/games")
            .json(&json!({ "ruleset": "ksp", "opponent": "computer", "target": 4 }))
            .go()
            .await,
        400,
        "invalid_target",
    )
    .await;
    problem(
        p.call("ana", Method::POST, "/v1/games")
            .json(&json!({ "ruleset": "nope", "opponent": "computer" }))
            .go()
            .await,
        404,
        "unknown_ruleset",
    )
    .await;

    // Player against player: Bob joins with the code; Ana's move stays
    // hidden from Bob (polling and events) until his is in.
    let started = p
        .start(
            "ana",
            json!({ "ruleset": "ksp", "opponent": "player", "target": 1 }),
        )
        .await;
    let duel = started["game"]["id"].as_str().unwrap().to_owned();
    let code = started["invite_code"].as_str().unwrap().to_owned();
    problem(
        p.call("bob", Method::GET, &format!("/v1/games/{duel}"))
            .go()
            .await,
        404,
        "game_not_found",
    )
    .await;
    problem(
        p.call("bob", Method::POST, &format!("/v1/games/{duel}/join"))
            .json(&json!({ "code": "WRONG00000" }))
            .go()
            .await,
        403,
        "invalid_invite_code",
    )
    .await;
    let joined = p
        .call("bob", Method::POST, &format!("/v1/games/{duel}/join"))
        .json(&json!({ "code": code }))
        .value()
        .await;
    assert_eq!(joined["state"], "in_progress");
    let mut events = p
        .call("bob", Method::GET, &format!("/v1/games/{duel}/events"))
        .go()
        .await;
    assert_eq!(events.status(), 200);
    assert!(
        events.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let first = String::from_utf8(events.chunk().await.unwrap().unwrap().to_vec()).unwrap();
    assert!(first.contains("event: game"), "{first}");

    let moved: Value = p
        .mv("ana", &duel, json!({ "weapon": "papir" }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        moved["game"]["your_move"],
        json!({ "kind": "weapon", "index": 2 })
    );
    assert!(moved.get("round").is_none());
    let polled = p
        .call("bob", Method::GET, &format!("/v1/games/{duel}"))
        .go()
        .await
        .text()
        .await
        .unwrap();
    let seen: Value = serde_json::from_str(&polled).unwrap();
    assert_eq!(
        (seen["opponent_moved"].clone(), seen["your_move"].clone()),
        (json!(true), Value::Null)
    );
    assert!(
        !polled.contains("index") && !polled.contains("papir"),
        "{polled}"
    );
    let mut streamed = String::new();
    while !streamed.contains("\"opponent_moved\":true") {
        streamed.push_str(std::str::from_utf8(&events.chunk().await.unwrap().unwrap()).unwrap());
    }
    assert!(!streamed.contains("\"index\""), "{streamed}");
    problem(
        p.mv("ana", &duel, json!({ "weapon": "rock" })).await,
        409,
        "out_of_turn",
    )
    .await;
    let done: Value = p
        .mv("bob", &duel, json!({ "weapon": "rock" }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["round"]["moves"], json!([2, 0]));
    assert_eq!(
        (
            done["game"]["state"].clone(),
            done["game"]["winner"].clone()
        ),
        (json!("finished"), json!(0))
    );

    // Commit–reveal: a reveal that does not match is refused.
    let started = p
        .start("ana", json!({ "ruleset": "kspov", "opponent": "player", "target": 1, "mode": "commit_reveal" }))
        .await;
    let cr = started["game"]["id"].as_str().unwrap().to_owned();
    let code = started["invite_code"].as_str().unwrap();
    p.call("bob", Method::POST, &format!("/v1/games/{cr}/join"))
        .json(&json!({ "code": code }))
        .go()
        .await;
    let commit = |w: &str, n: &str| hex::encode(Sha256::digest(format!("{w}{n}").as_bytes()));
    let (na, nb) = ("nonce-of-ana-0001", "nonce-of-bob-0002");
    assert_eq!(
        p.mv("ana", &cr, json!({ "commitment": commit("water", na) }))
            .await
            .status(),
        200
    );
    assert_eq!(
        p.mv("bob", &cr, json!({ "commitment": commit("fire", nb) }))
            .await
            .status(),
        200
    );
    problem(
        p.mv("bob", &cr, json!({ "weapon": "rock", "nonce": nb }))
            .await,
        400,
        "commitment_mismatch",
    )
    .await;
    problem(
        p.mv("bob", &cr, json!({ "weapon": "fire" })).await,
        400,
        "wrong_move_kind",
    )
    .await;
    assert_eq!(
        p.mv("bob", &cr, json!({ "weapon": "ogenj", "nonce": nb }))
            .await
            .status(),
        200
    );
    let end: Value = p
        .mv("ana", &cr, json!({ "weapon": "voda", "nonce": na }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            end["round"]["outcome"].clone(),
            end["game"]["winner"].clone()
        ),
        (json!("first"), json!(0))
    );

    // History and statistics; deleting the KSP history.
    let history = p
        .call("ana", Method::GET, "/v1/games/history?per_page=2")
        .value()
        .await;
    assert_eq!(
        (
            history["total"].clone(),
            history["items"].as_array().unwrap().len()
        ),
        (json!(5), 2)
    );
    assert_eq!(history["items"][0]["id"], cr);
    let kspov = p
        .call("ana", Method::GET, "/v1/games/history?ruleset=kspov")
        .value()
        .await;
    assert_eq!(kspov["total"], 2);
    problem(
        p.call("ana", Method::GET, "/v1/games/history?page=0")
            .go()
            .await,
        400,
        "invalid_page",
    )
    .await;
    let stats = p.call("ana", Method::GET, "/v1/games/stats").value().await;
    assert_eq!(stats["matches"], 5);
    assert_eq!(
        stats["won"].as_u64().unwrap() + stats["lost"].as_u64().unwrap(),
        5
    );
    let bob = p.call("bob", Method::GET, "/v1/games/stats").value().await;
    assert_eq!(
        (bob["matches"].clone(), bob["lost"].clone()),
        (json!(2), json!(2))
    );
    let deleted = p
        .call("ana", Method::DELETE, "/v1/games/history?ruleset=ksp")
        .value()
        .await;
    assert_eq!(deleted["deleted"], 2);
    assert_eq!(
        p.call("ana", Method::GET, "/v1/games/history")
            .value()
            .await["total"],
        3
    );
    // Bob keeps the duel.
    assert_eq!(
        p.call("bob", Method::GET, "/v1/games/history?ruleset=ksp")
            .value()
            .await["total"],
        1
    );

    // A guest plays where the tenant allows guests.
    let guest = gw
        .anon(Method::POST, "/v1/auth/guest")
        .header("x-tenant-id", &p.slug)
        .value()
        .await;
    let token = guest["access_token"].as_str().unwrap();
    let as_guest = |m: Method, path: &str| {
        gw.anon(m, path)
            .header("x-tenant-id", &p.slug)
            .bearer_auth(token)
    };
    let r = as_guest(Method::POST, "/v1/games")
        .json(&json!({ "ruleset": "ksp", "opponent": "computer", "target": 1 }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let g: Value = r.json().await.unwrap();
    let gid = g["game"]["id"].as_str().unwrap();
    let r = as_guest(Method::POST, &format!("/v1/games/{gid}/moves"))
        .json(&json!({ "weapon": "1" }))
        .go()
        .await;
    assert_eq!(r.status(), 200);

    // Another tenant's user: 404, never the game.
    let other = gw.tenant(json!({})).await;
    let other_id = gw.tenant_id(&other).await;
    let r = gw
        .as_named(
            &other_id,
            &other,
            "ana",
            Method::GET,
            &format!("/v1/games/{duel}"),
        )
        .go()
        .await;
    problem(r, 404, "game_not_found").await;
    assert_eq!(
        gw.as_named(&other_id, &other, "ana", Method::GET, "/v1/games/history")
            .value()
            .await["total"],
        0
    );
    // Without a token: 401.
    assert_eq!(
        gw.anon(Method::POST, "/v1/games")
            .header("x-tenant-id", &p.slug)
            .go()
            .await
            .status(),
        401
    );
    drop(events);
    if stack == Stack::Production {
        concurrent_moves_through_two_instances(&gw).await;
    }
    gw.stop().await;
}

/// Two server instances on one PostgreSQL and Redis: moves sent to both at
/// once are all counted, none twice.
async fn concurrent_moves_through_two_instances(gw: &Gateway) {
    let other = gw.another().await;
    let slug = gw.tenant(json!({})).await;
    let id = gw.tenant_id(&slug).await;
    let started: Value = gw
        .as_named(&id, &slug, "ana", Method::POST, "/v1/games")
        .json(&json!({ "ruleset": "ksp", "opponent": "computer", "target": 99 }))
        .value()
        .await;
    let game = started["game"]["id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for k in 0..8 {
        let request = if k % 2 == 0 { gw } else { &other }.as_named(
            &id,
            &slug,
            "ana",
            Method::POST,
            &format!("/v1/games/{game}/moves"),
        );
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for _ in 0..5 {
                let r = request
                    .try_clone()
                    .unwrap()
                    .json(&json!({ "weapon": "rock" }))
                    .go()
                    .await;
                assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
                ok += 1;
            }
            ok
        }));
    }
    let mut sent = 0;
    for t in tasks {
        sent += t.await.unwrap();
    }
    let view = other
        .as_named(&id, &slug, "ana", Method::GET, &format!("/v1/games/{game}"))
        .value()
        .await;
    assert_eq!(sent, 40);
    assert_eq!(view["rounds"].as_array().unwrap().len(), 40);
    assert_eq!(view["version"], 40);
    other.stop().await;
}

on_both_stacks!(games_over_http);
