-- Purposes of processing a tenant asks consent for (or records another
-- legal basis for): description, legal basis, data categories (JSON array),
-- retention in words.
CREATE TABLE privacy_purposes (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT NOT NULL,
    description TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    categories  TEXT NOT NULL,
    retention   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- One consent record per (subject, purpose) in the shape of ISO/IEC TS
-- 27560 (the whole record as JSON), with its current state.
CREATE TABLE privacy_consents (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    subject    TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('given', 'withdrawn', 'expired')),
    expires_at BIGINT,
    record     TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, subject, purpose)
);

-- The append-only history of every consent record.
CREATE TABLE privacy_consent_events (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id        TEXT NOT NULL,
    record_id TEXT NOT NULL,
    subject   TEXT NOT NULL,
    event     TEXT NOT NULL,
    at        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX privacy_consent_events_subject ON privacy_consent_events (tenant_id, subject);

-- Data-subject requests: kind, state, dates; the status history and result
-- as JSON; the export sealed under the subject's key. `subject` is cleared
-- when the subject is erased (the request stays as proof of compliance).
CREATE TABLE privacy_requests (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT NOT NULL,
    subject     TEXT,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,
    body        TEXT NOT NULL,
    export      BLOB,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX privacy_requests_subject ON privacy_requests (tenant_id, subject);

-- Legal holds on a subject, a data category or the whole tenant.
CREATE TABLE privacy_holds (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('subject', 'category', 'tenant')),
    subject     TEXT,
    category    TEXT,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT,
    released_at BIGINT,
    body        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Retention per data category: maximum age and action.
CREATE TABLE privacy_retention_policies (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    category   TEXT NOT NULL,
    max_age_ms BIGINT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('delete', 'anonymize')),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, category)
);

-- Every retention run and what it did.
CREATE TABLE privacy_retention_runs (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id        TEXT NOT NULL,
    at        BIGINT NOT NULL,
    report    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Personal-data breaches (Art. 33/34), the record as JSON.
CREATE TABLE privacy_breaches (
    tenant_id             TEXT NOT NULL REFERENCES tenants (id),
    id                    TEXT NOT NULL,
    detected_at           BIGINT NOT NULL,
    authority_notified_at BIGINT,
    overdue_announced     BOOLEAN NOT NULL,
    body                  TEXT NOT NULL,
    updated_at            BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Records of processing activities (Art. 30), one document per tenant.
CREATE TABLE privacy_processing (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id),
    document   TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- What each erasure did, without personal data: the request, per source
-- the records erased and categories retained, what holds limited.
CREATE TABLE privacy_deletion_log (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    request_id TEXT NOT NULL,
    at         BIGINT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
