-- Zones and their history, the protocol profiles that govern them, and the proposals
-- headquarters decides. History is append-only: zone_events rows are never updated or deleted;
-- zones.tier and zones.ended_at are the last events' outcome, kept for the figures.

CREATE TABLE profiles (
    key        TEXT PRIMARY KEY,
    body       TEXT NOT NULL,      -- the profile as JSON (cordon_domain::Profile)
    builtin    BOOLEAN NOT NULL,   -- shipped with Cordon (may still be edited)
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE zones (
    id             BIGSERIAL PRIMARY KEY,
    area_code      TEXT COLLATE "C" NOT NULL REFERENCES areas (code),
    path           TEXT COLLATE "C" NOT NULL,
    tier           TEXT NOT NULL,
    profile_key    TEXT NOT NULL REFERENCES profiles (key),
    reason         TEXT NOT NULL,
    case_person_id TEXT COLLATE "C",
    started_at     TIMESTAMPTZ NOT NULL,
    ended_at       TIMESTAMPTZ,
    created_by     TEXT NOT NULL,
    district_code  TEXT COLLATE "C"
);
CREATE INDEX zones_path ON zones (path, ended_at);
CREATE INDEX zones_area ON zones (area_code, ended_at);

CREATE TABLE zone_events (
    id           BIGSERIAL PRIMARY KEY,
    zone_id      BIGINT NOT NULL REFERENCES zones (id),
    at           TIMESTAMPTZ NOT NULL,
    event        TEXT NOT NULL,    -- cordon_domain::EventKind as JSON
    note         TEXT NOT NULL,
    person_id    TEXT COLLATE "C",
    recorded_by  TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX zone_events_zone ON zone_events (zone_id, at);

CREATE TABLE proposals (
    id             BIGSERIAL PRIMARY KEY,
    kind           TEXT NOT NULL,  -- designate, raise, step_down, lift
    zone_id        BIGINT REFERENCES zones (id),
    area_code      TEXT COLLATE "C" NOT NULL REFERENCES areas (code),
    path           TEXT COLLATE "C" NOT NULL,
    tier_from      TEXT,
    tier_to        TEXT,
    profile_key    TEXT NOT NULL,
    reason         TEXT NOT NULL,
    case_person_id TEXT COLLATE "C",
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     TEXT NOT NULL,
    status         TEXT NOT NULL,  -- pending, approved, rejected, withdrawn
    decided_by     TEXT,
    decided_at     TIMESTAMPTZ,
    decision_note  TEXT
);
CREATE INDEX proposals_status ON proposals (status, path);
CREATE INDEX proposals_zone ON proposals (zone_id);
