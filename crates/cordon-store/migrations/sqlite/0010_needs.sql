-- Residents' needs (居民诉求): a request from or for a household, its timeline of events, and
-- what the timeline comes to (status, the rung that owns it, the next deadline) kept on the row,
-- written in the same transaction as each event, so the board and the sweep read no timeline.
CREATE TABLE needs (
    id             INTEGER PRIMARY KEY,
    household_code TEXT NOT NULL REFERENCES areas (code),
    path           TEXT NOT NULL,            -- the household's path
    person_id      TEXT,                     -- whom it is for, when one person
    category       TEXT NOT NULL,
    emergency      INTEGER NOT NULL,         -- a medical emergency (the green channel)
    priority       TEXT NOT NULL,
    priority_rank  INTEGER NOT NULL,         -- 0 emergency, 1 urgent, 2 normal
    contact_phone  TEXT,
    description    TEXT NOT NULL,
    owner_worker   TEXT REFERENCES workers (worker_id),  -- the cadre, when the building has one
    profile_key    TEXT NOT NULL REFERENCES profiles (key),
    pass_id        TEXT,
    plan_key       TEXT UNIQUE,              -- care planned ahead: person, category, day (once)                     -- the emergency pass issued with it
    status         TEXT NOT NULL,            -- open, acknowledged, resolved
    rung           TEXT NOT NULL,            -- cadre, community, street, district, headquarters
    due_at         TEXT,                     -- the next deadline; NULL once resolved
    escalates      INTEGER NOT NULL,         -- whether due_at is a step up the chain
    escalations    INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL
);
-- The board of an area and its figures: its needs not resolved, with what the figures count
-- and the board sorts by, so a city's million are counted from the index alone.
CREATE INDEX needs_open ON needs (path, due_at, priority_rank, status, emergency) WHERE status <> 'resolved';
CREATE INDEX needs_path ON needs (path, created_at);
-- The sweep reads only the needs whose next deadline is a step up the chain.
CREATE INDEX needs_due ON needs (due_at) WHERE escalates;

CREATE TABLE need_events (
    id           INTEGER PRIMARY KEY,
    need_id      INTEGER NOT NULL REFERENCES needs (id),
    at           TEXT NOT NULL,
    event        TEXT NOT NULL,    -- cordon_domain::needs::NeedEventKind as JSON
    note         TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX need_events_need ON need_events (need_id, id);
