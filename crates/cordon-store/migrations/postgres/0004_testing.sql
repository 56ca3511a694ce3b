-- Mass testing (全员核酸): rounds, the files of samples and results, tubes and their members, and
-- the tasks a result calls for (a single-tube retest for every member of a positive pool, a
-- new sample for every member of an invalid tube).

CREATE TABLE test_rounds (
    id          BIGSERIAL PRIMARY KEY,
    -- The round_id of samples.csv.
    round_key   TEXT COLLATE "C" NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    area_code   TEXT COLLATE "C" NOT NULL REFERENCES areas (code),
    path        TEXT COLLATE "C" NOT NULL,
    starts_at   TIMESTAMPTZ NOT NULL,
    deadline    TIMESTAMPTZ NOT NULL,
    profile_key TEXT NOT NULL REFERENCES profiles (key),
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT NOT NULL,
    closed_at   TIMESTAMPTZ,
    closed_by   TEXT
);
CREATE INDEX test_rounds_path ON test_rounds (path);

-- A file is known by its SHA-256: sending it again changes nothing.
CREATE TABLE test_files (
    id          BIGSERIAL PRIMARY KEY,
    sha256      TEXT NOT NULL,
    kind        TEXT NOT NULL,   -- samples, results
    name        TEXT NOT NULL,
    rows        BIGINT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    imported_by TEXT NOT NULL,
    UNIQUE (kind, sha256)
);

CREATE TABLE tubes (
    tube_id        TEXT COLLATE "C" PRIMARY KEY,
    round_id       BIGINT NOT NULL REFERENCES test_rounds (id),
    site           TEXT NOT NULL,
    collected_at   TIMESTAMPTZ NOT NULL,
    size           BIGINT NOT NULL,
    file_id        BIGINT NOT NULL,
    result         TEXT,            -- negative, positive, invalid; NULL: pending
    reported_at    TIMESTAMPTZ,
    lab            TEXT,
    result_file_id BIGINT
);
CREATE INDEX tubes_round ON tubes (round_id, result);
CREATE INDEX tubes_result_file ON tubes (result_file_id);

-- One row per person in a tube, with the person's home at the time (the sweep and the
-- coverage count by it).
CREATE TABLE samples (
    tube_id        TEXT COLLATE "C" NOT NULL,
    person_id      TEXT COLLATE "C" NOT NULL,
    round_id       BIGINT NOT NULL,
    household_code TEXT COLLATE "C" NOT NULL,
    path           TEXT COLLATE "C" NOT NULL,
    district_code  TEXT COLLATE "C",
    file_id        BIGINT NOT NULL,
    PRIMARY KEY (tube_id, person_id)
);
CREATE INDEX samples_round_path ON samples (round_id, path, person_id);
CREATE INDEX samples_person ON samples (person_id, round_id);

-- 复核 / 重采: what a result calls for, per person. Open while done_at is NULL; an open retest
-- holds the person where they are.
CREATE TABLE test_tasks (
    id            BIGSERIAL PRIMARY KEY,
    person_id     TEXT COLLATE "C" NOT NULL,
    round_id      BIGINT NOT NULL REFERENCES test_rounds (id),
    kind          TEXT NOT NULL,   -- retest, resample
    tube_id       TEXT COLLATE "C" NOT NULL,   -- the tube that called for it
    path          TEXT COLLATE "C" NOT NULL,
    district_code TEXT COLLATE "C",
    created_at    TIMESTAMPTZ NOT NULL,
    done_at       TIMESTAMPTZ,
    done_tube_id  TEXT COLLATE "C",
    outcome       TEXT,
    UNIQUE (person_id, tube_id, kind)
);
CREATE INDEX test_tasks_open ON test_tasks (done_at, path);
CREATE INDEX test_tasks_person ON test_tasks (person_id, done_at);

-- People not at home (tagged hospitalised or away) are left out of the sweep; this index finds
-- the few of them in an area without reading everyone. Its predicate is the store's
-- SWEEP_AWAY, word for word, so the planner can use it.
CREATE INDEX people_away ON people (path)
    WHERE (';' || tags || ';') LIKE '%;hospitalised;%' OR (';' || tags || ';') LIKE '%;away;%';
