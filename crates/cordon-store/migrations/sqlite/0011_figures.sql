-- When a need was resolved, kept on the row (the domain's need_state, written with each event), so
-- the needs closed per day are counted from an index and not from every timeline.
ALTER TABLE needs ADD COLUMN resolved_at TEXT;
UPDATE needs SET resolved_at = (
    SELECT max(e.at) FROM need_events e WHERE e.need_id = needs.id AND e.event = '{"kind":"resolved"}'
) WHERE status = 'resolved';
CREATE INDEX needs_resolved ON needs (path, resolved_at) WHERE resolved_at IS NOT NULL;

-- 新闻发布会通报: the daily briefing of an area as headquarters published it, in both languages,
-- with the figures it was written from. A second publication of the same day is a new revision;
-- every revision is kept.
CREATE TABLE briefings (
    id           INTEGER PRIMARY KEY,
    area_code    TEXT NOT NULL REFERENCES areas (code),
    path         TEXT NOT NULL,
    day          TEXT NOT NULL,              -- local date, YYYY-MM-DD
    revision     INTEGER NOT NULL,
    text_zh      TEXT NOT NULL,              -- Markdown
    text_en      TEXT NOT NULL,              -- Markdown
    figures      TEXT NOT NULL,              -- the figures it was written from, as JSON
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    UNIQUE (area_code, day, revision)
);
CREATE INDEX briefings_path ON briefings (path, day);

-- Every export of a list: who took which list of which area, how many rows, and whether names
-- and ID numbers were replaced by pseudonyms. (A named export also records each person it
-- held in audit_reads, as every read of a person is.)
CREATE TABLE audit_exports (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    user_id      BIGINT NOT NULL,
    username     TEXT NOT NULL,
    list         TEXT NOT NULL,
    area_code    TEXT NOT NULL,
    format       TEXT NOT NULL,
    pseudonymised BOOLEAN NOT NULL,
    rows_written BIGINT NOT NULL,
    finished     BOOLEAN NOT NULL
);
CREATE INDEX audit_exports_at ON audit_exports (at);
