-- A tenant's own rule sets (the built-in KSP and KSPOV are not stored):
-- the validated definition as JSON.
CREATE TABLE game_rulesets (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Finished (or abandoned) matches of a tenant: the rule set's id and weapon
-- ids (round moves index them), the target, every round as JSON, and who
-- won (a seat, or NULL).
CREATE TABLE game_matches (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    ruleset    TEXT NOT NULL,
    weapons    TEXT NOT NULL,
    target     BIGINT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('finished', 'abandoned')),
    winner     BIGINT,
    rounds     TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX game_matches_ended ON game_matches (tenant_id, ended_at);

-- The seats of a match: a subject of the tenant, or the computer (subject
-- NULL, computer TRUE). A player who deleted their history, or was erased,
-- has no row; a match with no subject left is deleted.
CREATE TABLE game_players (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    match_id  TEXT NOT NULL,
    seat      BIGINT NOT NULL,
    subject   TEXT,
    computer  BOOLEAN NOT NULL,
    score     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, match_id, seat),
    FOREIGN KEY (tenant_id, match_id) REFERENCES game_matches (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX game_players_subject ON game_players (tenant_id, subject);

-- Subjects whose game data is restricted (GDPR Art. 18): kept, not used.
CREATE TABLE game_restrictions (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    subject    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, subject)
);
