-- Residents' needs (居民诉求): a request from or for a household, its timeline of events, and
-- what the timeline comes to (status, the rung that owns it, the next deadline) kept on the row,
-- written in the same transaction as each event, so the board and the sweep read no timeline.
CREATE TABLE needs (
    id             BIGSERIAL PRIMARY KEY,
    household_code TEXT COLLATE "C" NOT NULL REFERENCES areas (code),
    path           TEXT COLLATE "C" NOT NULL,
    person_id      TEXT COLLATE "C",
    category       TEXT NOT NULL,
    emergency      BOOLEAN NOT NULL,
    priority       TEXT NOT NULL,
    priority_rank  INTEGER NOT NULL,
    contact_phone  TEXT,
    description    TEXT NOT NULL,
    owner_worker   TEXT COLLATE "C" REFERENCES workers (worker_id),
    profile_key    TEXT NOT NULL REFERENCES profiles (key),
    pass_id        TEXT,
    plan_key       TEXT UNIQUE,              -- care planned ahead: person, category, day (once)
    status         TEXT NOT NULL,
    rung           TEXT NOT NULL,
    due_at         TIMESTAMPTZ,
    escalates      BOOLEAN NOT NULL,
    escalations    INTEGER NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     TEXT NOT NULL
);
CREATE INDEX needs_open ON needs (path, due_at, priority_rank, status, emergency) WHERE status <> 'resolved';
CREATE INDEX needs_path ON needs (path, created_at);
CREATE INDEX needs_due ON needs (due_at) WHERE escalates;

CREATE TABLE need_events (
    id           BIGSERIAL PRIMARY KEY,
    need_id      BIGINT NOT NULL REFERENCES needs (id),
    at           TIMESTAMPTZ NOT NULL,
    event        TEXT NOT NULL,
    note         TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX need_events_need ON need_events (need_id, id);
