-- The workforce and 包联: workers (from workers.csv), their reporting in (报到) to a community
-- on a day, quarantine sites, and assignments of workers to units (an area or a site) as the
-- responsible leader or a member, over a span of time.

CREATE TABLE workers (
    worker_id    TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    phone        TEXT,
    organisation TEXT NOT NULL,
    party_member INTEGER NOT NULL,
    rank         TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX workers_name ON workers (name);

-- One community a day: reporting in to a second is refused.
CREATE TABLE checkins (
    id             INTEGER PRIMARY KEY,
    worker_id      TEXT NOT NULL REFERENCES workers (worker_id),
    community_code TEXT NOT NULL REFERENCES areas (code),
    path           TEXT NOT NULL,
    day            TEXT NOT NULL,  -- local date, YYYY-MM-DD
    at             TEXT NOT NULL,
    recorded_by    TEXT NOT NULL,
    UNIQUE (worker_id, day)
);
CREATE INDEX checkins_day ON checkins (day, path);

-- 隔离点: a hotel with rooms, in an area, answered for like an area.
CREATE TABLE quarantine_sites (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    area_code     TEXT NOT NULL REFERENCES areas (code),
    path          TEXT NOT NULL,
    rooms         INTEGER NOT NULL,
    occupied      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX quarantine_sites_path ON quarantine_sites (path);

CREATE TABLE assignments (
    id          INTEGER PRIMARY KEY,
    worker_id   TEXT NOT NULL REFERENCES workers (worker_id),
    unit_kind   TEXT NOT NULL,   -- area, site
    unit_key    TEXT NOT NULL,   -- the area code or the site id
    path        TEXT NOT NULL,   -- the unit's path (a site: its area's)
    post        TEXT NOT NULL,   -- leader, member
    title       TEXT NOT NULL DEFAULT '',  -- 临时党支部书记, 门岗 …
    from_at     TEXT NOT NULL,
    until_at    TEXT,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX assignments_unit ON assignments (unit_kind, unit_key);
CREATE INDEX assignments_path ON assignments (path);
CREATE INDEX assignments_worker ON assignments (worker_id);

CREATE INDEX areas_level ON areas (level, path);
