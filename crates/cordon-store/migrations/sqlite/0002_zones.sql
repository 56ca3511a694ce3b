-- Zones and their history, the protocol profiles that govern them, and the proposals
-- headquarters decides. History is append-only: zone_events rows are never updated or deleted;
-- zones.tier and zones.ended_at are the last events' outcome, kept for the figures.

CREATE TABLE profiles (
    key        TEXT PRIMARY KEY,
    body       TEXT NOT NULL,      -- the profile as JSON (cordon_domain::Profile)
    builtin    INTEGER NOT NULL,   -- shipped with Cordon (may still be edited)
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE zones (
    id             INTEGER PRIMARY KEY,
    area_code      TEXT NOT NULL REFERENCES areas (code),
    path           TEXT NOT NULL,
    tier           TEXT NOT NULL,
    profile_key    TEXT NOT NULL REFERENCES profiles (key),
    reason         TEXT NOT NULL,
    case_person_id TEXT,
    started_at     TEXT NOT NULL,
    ended_at       TEXT,
    created_by     TEXT NOT NULL,
    district_code  TEXT
);
CREATE INDEX zones_path ON zones (path, ended_at);
CREATE INDEX zones_area ON zones (area_code, ended_at);

CREATE TABLE zone_events (
    id           INTEGER PRIMARY KEY,
    zone_id      INTEGER NOT NULL REFERENCES zones (id),
    at           TEXT NOT NULL,
    event        TEXT NOT NULL,    -- cordon_domain::EventKind as JSON
    note         TEXT NOT NULL,
    person_id    TEXT,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX zone_events_zone ON zone_events (zone_id, at);

CREATE TABLE proposals (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,  -- designate, raise, step_down, lift
    zone_id        INTEGER REFERENCES zones (id),
    area_code      TEXT NOT NULL REFERENCES areas (code),
    path           TEXT NOT NULL,
    tier_from      TEXT,
    tier_to        TEXT,
    profile_key    TEXT NOT NULL,
    reason         TEXT NOT NULL,
    case_person_id TEXT,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    status         TEXT NOT NULL,  -- pending, approved, rejected, withdrawn
    decided_by     TEXT,
    decided_at     TEXT,
    decision_note  TEXT
);
CREATE INDEX proposals_status ON proposals (status, path);
CREATE INDEX proposals_zone ON proposals (zone_id);
