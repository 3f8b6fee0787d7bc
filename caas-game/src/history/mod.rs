//! Match history in SQL (SQLite and PostgreSQL, tenant row-level security):
//! every finished or abandoned match with its rounds, per-player listing
//! with a rule-set filter and pages, statistics, and deletion of one's own
//! history. [`GameHistorySource`] exposes it to data-subject requests.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{
    DataCategory, DataSubjectSource, Db, ErasureMethod, ErasureOutcome, Error, Result, SharedClock,
    SubjectExport, SubjectRef, TenantId, Timestamp,
};
use uuid::Uuid;

use crate::game::{MatchState, Round};
use crate::live::{Game, Player};
use crate::rules::Outcome;

mod model;

pub use self::model::{HistoryPage, MatchRecord, SeatRecord, Stats};

/// The most matches one history page holds.
pub const MAX_PER_PAGE: u32 = 100;

struct MatchRow {
    id: Uuid,
    ruleset: String,
    weapons: Vec<String>,
    target: u32,
    state: MatchState,
    winner: Option<usize>,
    rounds: Vec<Round>,
    started_at: Timestamp,
    ended_at: Timestamp,
}

fn corrupt(what: &str) -> Error {
    Error::internal(format!("a stored match has an invalid {what}"))
}

impl FromRow for MatchRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let weapons: String = row.get("weapons")?;
        let rounds: String = row.get("rounds")?;
        let state: String = row.get("state")?;
        let winner: Option<i64> = row.get("winner")?;
        Ok(MatchRow {
            id: row.parse("id")?,
            ruleset: row.get("ruleset")?,
            weapons: serde_json::from_str(&weapons).map_err(|_| corrupt("weapon list"))?,
            target: u32::try_from(row.get::<i64>("target")?).map_err(|_| corrupt("target"))?,
            state: match state.as_str() {
                "finished" => MatchState::Finished,
                "abandoned" => MatchState::Abandoned,
                _ => return Err(corrupt("state")),
            },
            winner: winner
                .map(usize::try_from)
                .transpose()
                .map_err(|_| corrupt("winner"))?,
            rounds: serde_json::from_str(&rounds).map_err(|_| corrupt("round list"))?,
            started_at: row.timestamp("started_at")?,
            ended_at: row.timestamp("ended_at")?,
        })
    }
}

impl FromRow for SeatRecord {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(SeatRecord {
            seat: usize::try_from(row.get::<i64>("seat")?).map_err(|_| corrupt("seat"))?,
            subject: row.get("subject")?,
            computer: row.get("computer")?,
            score: u32::try_from(row.get::<i64>("score")?).map_err(|_| corrupt("score"))?,
        })
    }
}

/// The match history of every tenant.
#[derive(Debug, Clone)]
pub struct History {
    db: Db,
    clock: SharedClock,
}

const SELECT_MATCHES: &str = "SELECT m.id, m.ruleset, m.weapons, m.target, m.state, m.winner, \
     m.rounds, m.started_at, m.ended_at FROM game_matches m JOIN game_players p \
     ON p.tenant_id = m.tenant_id AND p.match_id = m.id \
     WHERE m.tenant_id = $1 AND p.subject = $2 AND ($3 IS NULL OR m.ruleset = $3) \
     ORDER BY m.ended_at DESC, m.id DESC LIMIT $4 OFFSET $5";

impl History {
    /// History in `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        History { db, clock }
    }

    /// Records `game` once it is finished or abandoned (again: no change).
    /// A restricted subject's seat is recorded without the subject.
    pub async fn record(&self, tenant: &TenantId, game: &Game) -> Result<()> {
        let state = match game.play.state() {
            MatchState::Finished => "finished",
            MatchState::Abandoned => "abandoned",
            _ => {
                return Err(Error::invalid_input("only an ended match is recorded")
                    .with_code("match_not_ended"));
            }
        };
        let weapons: Vec<&str> = game
            .ruleset
            .weapons()
            .iter()
            .map(|w| w.id.as_str())
            .collect();
        let mut tx = self.db.tenant_tx(tenant).await?;
        let inserted = query(
            "INSERT INTO game_matches (tenant_id, id, ruleset, weapons, target, state, winner, \
             rounds, started_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (tenant_id, id) DO NOTHING",
        )
        .bind(tenant)
        .bind(game.id)
        .bind(game.ruleset.id())
        .bind(serde_json::to_string(&weapons)?)
        .bind(game.play.target())
        .bind(state)
        .bind(
            game.play
                .winner()
                .map(|w| i64::try_from(w).unwrap_or(i64::MAX)),
        )
        .bind(serde_json::to_string(game.play.rounds())?)
        .bind(game.created_at)
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        if inserted == 1 {
            for (seat, player) in game.players.iter().enumerate() {
                let (subject, computer) = match player {
                    Player::Computer => (None, true),
                    Player::Subject { id } => (Some(id.as_str()), false),
                    Player::Invited => continue,
                };
                let restricted = match subject {
                    Some(s) => query(
                        "SELECT count(*) FROM game_restrictions WHERE tenant_id = $1 AND subject = $2",
                    )
                    .bind(tenant)
                    .bind(s)
                    .fetch_one::<Scalar<i64>>(&mut tx)
                    .await?
                    .0 > 0,
                    None => false,
                };
                query(
                    "INSERT INTO game_players (tenant_id, match_id, seat, subject, computer, score) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(tenant)
                .bind(game.id)
                .bind(i64::try_from(seat).unwrap_or(0))
                .bind(if restricted { None } else { subject })
                .bind(computer)
                .bind(game.play.scores()[seat])
                .execute(&mut tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn matches(
        &self,
        tenant: &TenantId,
        subject: &str,
        ruleset: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<MatchRecord>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows: Vec<MatchRow> = query(SELECT_MATCHES)
            .bind(tenant)
            .bind(subject)
            .bind(ruleset)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut tx)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for m in rows {
            let players: Vec<SeatRecord> = query(
                "SELECT seat, subject, computer, score FROM game_players \
                 WHERE tenant_id = $1 AND match_id = $2 ORDER BY seat",
            )
            .bind(tenant)
            .bind(m.id)
            .fetch_all(&mut tx)
            .await?;
            out.push(MatchRecord {
                id: m.id,
                ruleset: m.ruleset,
                weapons: m.weapons,
                target: m.target,
                state: m.state,
                winner: m.winner,
                players,
                rounds: m.rounds,
                started_at: m.started_at,
                ended_at: m.ended_at,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Page `page` (1-based) of `subject`'s matches, newest first, of one
    /// rule set or all.
    pub async fn list(
        &self,
        tenant: &TenantId,
        subject: &str,
        ruleset: Option<&str>,
        page: u32,
        per_page: u32,
    ) -> Result<HistoryPage> {
        if page == 0 || per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(Error::invalid_input(format!(
                "pages start at 1 and hold 1 to {MAX_PER_PAGE} matches"
            ))
            .with_field("page")
            .with_code("invalid_page"));
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        let total = query(
            "SELECT count(*) FROM game_matches m JOIN game_players p \
             ON p.tenant_id = m.tenant_id AND p.match_id = m.id \
             WHERE m.tenant_id = $1 AND p.subject = $2 AND ($3 IS NULL OR m.ruleset = $3)",
        )
        .bind(tenant)
        .bind(subject)
        .bind(ruleset)
        .fetch_one::<Scalar<i64>>(&mut tx)
        .await?
        .0;
        tx.commit().await?;
        let offset = i64::from(page - 1) * i64::from(per_page);
        let items = self
            .matches(tenant, subject, ruleset, i64::from(per_page), offset)
            .await?;
        Ok(HistoryPage {
            items,
            page,
            per_page,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// `subject`'s statistics, over one rule set or all.
    pub async fn stats(
        &self,
        tenant: &TenantId,
        subject: &str,
        ruleset: Option<&str>,
    ) -> Result<Stats> {
        let all = self.matches(tenant, subject, ruleset, i64::MAX, 0).await?;
        let mut s = Stats::default();
        for m in &all {
            let Some(seat) = m
                .players
                .iter()
                .find(|p| p.subject.as_deref() == Some(subject))
                .map(|p| p.seat.min(1))
            else {
                continue;
            };
            s.matches += 1;
            match (m.state, m.winner) {
                (MatchState::Abandoned, _) => s.abandoned += 1,
                (_, Some(w)) if w == seat => s.won += 1,
                (_, Some(_)) => s.lost += 1,
                _ => {}
            }
            let mine = if seat == 0 {
                Outcome::First
            } else {
                Outcome::Second
            };
            for r in &m.rounds {
                s.rounds += 1;
                if r.outcome == mine {
                    s.rounds_won += 1;
                }
                if let Some(w) = r.moves[seat].and_then(|i| m.weapons.get(i)) {
                    *s.weapons.entry(w.clone()).or_default() += 1;
                }
            }
        }
        let top = s.weapons.values().copied().max();
        s.most_used_weapon = top.and_then(|top| {
            s.weapons
                .iter()
                .find(|(_, n)| **n == top)
                .map(|(w, _)| w.clone())
        });
        Ok(s)
    }

    /// Deletes `subject`'s history (of one rule set or all): their seats go,
    /// and a match with no player left goes with them; an opponent keeps
    /// the match. Returns the matches the subject left.
    pub async fn delete(
        &self,
        tenant: &TenantId,
        subject: &str,
        ruleset: Option<&str>,
    ) -> Result<u64> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let n = query(
            "DELETE FROM game_players WHERE tenant_id = $1 AND subject = $2 AND \
             ($3 IS NULL OR match_id IN \
              (SELECT id FROM game_matches WHERE tenant_id = $1 AND ruleset = $3))",
        )
        .bind(tenant)
        .bind(subject)
        .bind(ruleset)
        .execute(&mut tx)
        .await?;
        Self::drop_orphans(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Deletes matches where only the computer is left.
    async fn drop_orphans(tx: &mut caas_core::Tx, tenant: &TenantId) -> Result<()> {
        query(
            "DELETE FROM game_matches WHERE tenant_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM game_players p WHERE p.tenant_id = game_matches.tenant_id \
              AND p.match_id = game_matches.id AND p.computer = FALSE)",
        )
        .bind(tenant)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Retention: erases matches that ended before `before` — deleted, or
    /// kept without their players' subjects — except matches with a player
    /// in `keep`. Returns the matches erased.
    pub async fn expire(
        &self,
        tenant: &TenantId,
        before: Timestamp,
        method: ErasureMethod,
        keep: &[String],
    ) -> Result<u64> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows: Vec<(String, Option<String>)> = query(
            "SELECT m.id AS id, p.subject AS subject FROM game_matches m JOIN game_players p \
             ON p.tenant_id = m.tenant_id AND p.match_id = m.id \
             WHERE m.tenant_id = $1 AND m.ended_at < $2",
        )
        .bind(tenant)
        .bind(before)
        .fetch_all::<MatchSubject>(&mut tx)
        .await?
        .into_iter()
        .map(|r| (r.id, r.subject))
        .collect();
        let held: BTreeSet<&str> = rows
            .iter()
            .filter(|(_, s)| s.as_ref().is_some_and(|s| keep.contains(s)))
            .map(|(id, _)| id.as_str())
            .collect();
        let expired: BTreeSet<&str> = rows
            .iter()
            .map(|(id, _)| id.as_str())
            .filter(|id| !held.contains(id))
            .collect();
        for id in &expired {
            let sql = match method {
                ErasureMethod::Delete => {
                    "DELETE FROM game_players WHERE tenant_id = $1 AND match_id = $2"
                }
                ErasureMethod::Anonymize => {
                    "UPDATE game_players SET subject = NULL WHERE tenant_id = $1 AND match_id = $2"
                }
            };
            query(sql).bind(tenant).bind(*id).execute(&mut tx).await?;
            if method == ErasureMethod::Delete {
                query("DELETE FROM game_matches WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(*id)
                    .execute(&mut tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(expired.len() as u64)
    }

    /// Keeps `subject`'s seats but removes the subject from them.
    async fn anonymize(&self, tenant: &TenantId, subject: &str) -> Result<u64> {
        let n = self
            .db
            .tenant_execute(
                tenant,
                query(
                    "UPDATE game_players SET subject = NULL WHERE tenant_id = $1 AND subject = $2",
                )
                .bind(tenant)
                .bind(subject),
            )
            .await?;
        Ok(n)
    }

    async fn restrict(&self, tenant: &TenantId, subject: &str, on: bool) -> Result<()> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        if on {
            query(
                "INSERT INTO game_restrictions (tenant_id, subject, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (tenant_id, subject) DO NOTHING",
            )
            .bind(tenant)
            .bind(subject)
            .bind(self.clock.now())
            .execute(&mut tx)
            .await?;
        } else {
            query("DELETE FROM game_restrictions WHERE tenant_id = $1 AND subject = $2")
                .bind(tenant)
                .bind(subject)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// caas-game's personal data for data-subject requests: a player's match
/// history.
#[derive(Debug, Clone)]
pub struct GameHistorySource(pub History);

#[async_trait]
impl DataSubjectSource for GameHistorySource {
    fn name(&self) -> &str {
        "caas-game.history"
    }

    fn categories(&self) -> Vec<DataCategory> {
        vec![DataCategory {
            name: "game_history".into(),
            description: "matches played: rule set, opponents, every round's weapons, scores, \
                          times; shown to the player as history and statistics"
                .into(),
            fields: vec!["subject".into(), "rounds".into(), "score".into()],
            retention: "until the player deletes it or the account is erased".into(),
        }]
    }

    fn tables(&self) -> Vec<&'static str> {
        vec!["game_players", "game_restrictions", "game_matches"]
    }

    async fn export(&self, subject: &SubjectRef) -> Result<SubjectExport> {
        let all = self
            .0
            .matches(&subject.tenant, &subject.subject, None, i64::MAX, 0)
            .await?;
        let mut categories = BTreeMap::new();
        categories.insert("game_history".to_owned(), serde_json::to_value(all)?);
        Ok(SubjectExport {
            source: self.name().to_owned(),
            categories,
        })
    }

    async fn erase(&self, subject: &SubjectRef, method: ErasureMethod) -> Result<ErasureOutcome> {
        let records = match method {
            ErasureMethod::Delete => {
                self.0
                    .delete(&subject.tenant, &subject.subject, None)
                    .await?
            }
            ErasureMethod::Anonymize => self.0.anonymize(&subject.tenant, &subject.subject).await?,
        };
        Ok(ErasureOutcome {
            records,
            retained: Vec::new(),
        })
    }

    fn separates(&self, category: &str, _with_part: bool) -> bool {
        category == "game_history"
    }

    async fn erase_category(
        &self,
        subject: &SubjectRef,
        category: &str,
        part: Option<&str>,
        method: ErasureMethod,
    ) -> Result<Option<ErasureOutcome>> {
        if category != "game_history" {
            return Ok(None);
        }
        let records = match (method, part) {
            (ErasureMethod::Delete, ruleset) => {
                self.0
                    .delete(&subject.tenant, &subject.subject, ruleset)
                    .await?
            }
            (ErasureMethod::Anonymize, None) => {
                self.0.anonymize(&subject.tenant, &subject.subject).await?
            }
            (ErasureMethod::Anonymize, Some(_)) => {
                return Err(Error::invalid_input(
                    "the history is anonymized whole: erase one rule set's matches by `delete`",
                )
                .with_field("part"));
            }
        };
        Ok(Some(ErasureOutcome {
            records,
            retained: Vec::new(),
        }))
    }

    async fn restrict(&self, subject: &SubjectRef, restricted: bool) -> Result<()> {
        self.0
            .restrict(&subject.tenant, &subject.subject, restricted)
            .await
    }

    async fn expire(
        &self,
        tenant: &TenantId,
        category: &str,
        before: Timestamp,
        method: ErasureMethod,
        keep: &[String],
    ) -> Result<Option<u64>> {
        if category != "game_history" {
            return Ok(None);
        }
        self.0.expire(tenant, before, method, keep).await.map(Some)
    }
}

struct MatchSubject {
    id: String,
    subject: Option<String>,
}

impl FromRow for MatchSubject {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(MatchSubject {
            id: row.get("id")?,
            subject: row.get("subject")?,
        })
    }
}
