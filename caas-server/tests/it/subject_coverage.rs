//! Every table that holds data about a person is reached by a data-subject
//! request: the server's registered sources list the tables they export and
//! erase, and a table with a subject column that none lists fails here —
//! so a new crate table cannot silently escape export and erasure.

use std::collections::{BTreeMap, BTreeSet};

use caas_server::{ServeConfig, Server};

/// Column names that identify a data subject.
const SUBJECT_COLUMNS: [&str; 8] = [
    "subject",
    "user_id",
    "owner_id",
    "principal_id",
    "entity_id",
    "recipient_user",
    "sender_user",
    "actor",
];

/// Tables (with a subject column) that hold no personal data, and why.
const NOT_PERSONAL: [(&str, &str); 0] = [];

/// `table → its subject columns`, from every migration's SQLite text (the
/// PostgreSQL text creates the same tables).
fn subject_tables() -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for set in caas::backends::migrations() {
        for m in set.sqlite {
            let mut table: Option<String> = None;
            for line in m.sql.lines() {
                let line = line.trim();
                if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                    let name = rest
                        .split_whitespace()
                        .next()
                        .unwrap()
                        .trim_end_matches('(');
                    table = Some(name.to_owned());
                    // A table of people: its own id is the subject.
                    if name.ends_with("_users") {
                        out.entry(name.to_owned()).or_default().insert("id".into());
                    }
                    continue;
                }
                if line.starts_with(");") {
                    table = None;
                    continue;
                }
                if let Some(rest) = line.strip_prefix("ALTER TABLE ") {
                    let mut words = rest.split_whitespace();
                    let name = words.next().unwrap();
                    let column = words.skip_while(|w| *w != "COLUMN").nth(1);
                    if let Some(c) = column.filter(|c| SUBJECT_COLUMNS.contains(c)) {
                        out.entry(name.to_owned()).or_default().insert(c.to_owned());
                    }
                    continue;
                }
                if let (Some(t), Some(column)) = (&table, line.split_whitespace().next())
                    && SUBJECT_COLUMNS.contains(&column)
                {
                    out.entry(t.clone()).or_default().insert(column.to_owned());
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn every_table_with_a_subject_column_is_covered_by_a_source() {
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        platform: caas::PlatformConfig {
            database_url: Some("sqlite::memory:".into()),
            ..caas::PlatformConfig::default()
        },
        admin_key: Some("x".repeat(40).into()),
        ..ServeConfig::default()
    };
    let mut server = Server::bind(config).await.unwrap();
    let sources = server.state_mut().privacy.sources().unwrap();
    let covered: BTreeSet<&str> = sources.iter().flat_map(|s| s.tables()).collect();
    let found = subject_tables();
    // The scan works: it finds the tables we know.
    for known in [
        "auth_users",
        "auth_sessions",
        "e2e_devices",
        "game_players",
        "audit_entries",
        "authz_access",
    ] {
        assert!(
            found.contains_key(known),
            "the scan missed {known}: {found:?}"
        );
    }
    let uncovered: Vec<(&String, &BTreeSet<String>)> = found
        .iter()
        .filter(|(t, _)| !covered.contains(t.as_str()))
        .filter(|(t, _)| !NOT_PERSONAL.iter().any(|(n, _)| n == t))
        .collect();
    assert!(
        uncovered.is_empty(),
        "tables with subject columns that no data-subject source covers \
         (list them in a source's `tables()` and export/erase them): {uncovered:?}"
    );
    // And every table a source claims exists.
    let all_tables: BTreeSet<String> = caas::backends::migrations()
        .iter()
        .flat_map(|s| s.sqlite.iter())
        .flat_map(|m| m.sql.lines())
        .filter_map(|l| l.trim().strip_prefix("CREATE TABLE "))
        .map(|r| {
            r.split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('(')
                .to_owned()
        })
        .collect();
    for t in &covered {
        assert!(
            all_tables.contains(*t),
            "a source lists `{t}`, which no migration creates"
        );
    }
}
