-- Mass testing (全员核酸): rounds, the files of samples and results, tubes and their members, and
-- the tasks a result calls for (a single-tube retest for every member of a positive pool, a
-- new sample for every member of an invalid tube).

CREATE TABLE test_rounds (
    id          INTEGER PRIMARY KEY,
    -- The round_id of samples.csv.
    round_key   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    area_code   TEXT NOT NULL REFERENCES areas (code),
    path        TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    deadline    TEXT NOT NULL,
    profile_key TEXT NOT NULL REFERENCES profiles (key),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    closed_at   TEXT,
    closed_by   TEXT
);
CREATE INDEX test_rounds_path ON test_rounds (path);

-- A file is known by its SHA-256: sending it again changes nothing.
CREATE TABLE test_files (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT NOT NULL,
    kind        TEXT NOT NULL,   -- samples, results
    name        TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    UNIQUE (kind, sha256)
);

CREATE TABLE tubes (
    tube_id        TEXT PRIMARY KEY,
    round_id       INTEGER NOT NULL REFERENCES test_rounds (id),
    site           TEXT NOT NULL,
    collected_at   TEXT NOT NULL,
    size           INTEGER NOT NULL,
    file_id        INTEGER NOT NULL,
    result         TEXT,            -- negative, positive, invalid; NULL: pending
    reported_at    TEXT,
    lab            TEXT,
    result_file_id INTEGER
);
CREATE INDEX tubes_round ON tubes (round_id, result);
CREATE INDEX tubes_result_file ON tubes (result_file_id);

-- One row per person in a tube, with the person's home at the time (the sweep and the
-- coverage count by it).
CREATE TABLE samples (
    tube_id        TEXT NOT NULL,
    person_id      TEXT NOT NULL,
    round_id       INTEGER NOT NULL,
    household_code TEXT NOT NULL,
    path           TEXT NOT NULL,
    district_code  TEXT,
    file_id        INTEGER NOT NULL,
    PRIMARY KEY (tube_id, person_id)
) WITHOUT ROWID;
CREATE INDEX samples_round_path ON samples (round_id, path, person_id);
CREATE INDEX samples_person ON samples (person_id, round_id);

-- 复核 / 重采: what a result calls for, per person. Open while done_at is NULL; an open retest
-- holds the person where they are.
CREATE TABLE test_tasks (
    id            INTEGER PRIMARY KEY,
    person_id     TEXT NOT NULL,
    round_id      INTEGER NOT NULL REFERENCES test_rounds (id),
    kind          TEXT NOT NULL,   -- retest, resample
    tube_id       TEXT NOT NULL,   -- the tube that called for it
    path          TEXT NOT NULL,
    district_code TEXT,
    created_at    TEXT NOT NULL,
    done_at       TEXT,
    done_tube_id  TEXT,
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
