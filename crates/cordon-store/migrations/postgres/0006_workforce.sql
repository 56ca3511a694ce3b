-- The workforce and 包联: workers (from workers.csv), their reporting in (报到) to a community
-- on a day, quarantine sites, and assignments of workers to units (an area or a site) as the
-- responsible leader or a member, over a span of time.

CREATE TABLE workers (
    worker_id    TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT NOT NULL,
    phone        TEXT,
    organisation TEXT NOT NULL,
    party_member BOOLEAN NOT NULL,
    rank         TEXT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX workers_name ON workers (name);

-- One community a day: reporting in to a second is refused.
CREATE TABLE checkins (
    id             BIGSERIAL PRIMARY KEY,
    worker_id      TEXT COLLATE "C" NOT NULL REFERENCES workers (worker_id),
    community_code TEXT COLLATE "C" NOT NULL REFERENCES areas (code),
    path           TEXT COLLATE "C" NOT NULL,
    day            TEXT NOT NULL,  -- local date, YYYY-MM-DD
    at             TIMESTAMPTZ NOT NULL,
    recorded_by    TEXT NOT NULL,
    UNIQUE (worker_id, day)
);
CREATE INDEX checkins_day ON checkins (day, path);

-- 隔离点: a hotel with rooms, in an area, answered for like an area.
CREATE TABLE quarantine_sites (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    area_code     TEXT COLLATE "C" NOT NULL REFERENCES areas (code),
    path          TEXT COLLATE "C" NOT NULL,
    rooms         BIGINT NOT NULL,
    occupied      BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX quarantine_sites_path ON quarantine_sites (path);

CREATE TABLE assignments (
    id          BIGSERIAL PRIMARY KEY,
    worker_id   TEXT COLLATE "C" NOT NULL REFERENCES workers (worker_id),
    unit_kind   TEXT NOT NULL,   -- area, site
    unit_key    TEXT COLLATE "C" NOT NULL,   -- the area code or the site id
    path        TEXT COLLATE "C" NOT NULL,   -- the unit's path (a site: its area's)
    post        TEXT NOT NULL,   -- leader, member
    title       TEXT NOT NULL DEFAULT '',  -- 临时党支部书记, 门岗 …
    from_at     TIMESTAMPTZ NOT NULL,
    until_at    TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX assignments_unit ON assignments (unit_kind, unit_key);
CREATE INDEX assignments_path ON assignments (path);
CREATE INDEX assignments_worker ON assignments (worker_id);

CREATE INDEX areas_level ON areas (level, path);
