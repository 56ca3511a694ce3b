-- 卫生保洁、消杀: disinfection tasks (a case's home and stairs after their pick-up, written in
-- the transaction of the pick-up; or a place an officer names) and the waste collections of
-- sealed buildings. path is the place's, so every board is scoped by an index range.
CREATE TABLE disinfections (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,          -- home, stairs, area
    area_code   TEXT NOT NULL REFERENCES areas (code),
    path        TEXT NOT NULL,
    transfer_id INTEGER REFERENCES transfers (id),  -- the case's transfer that called for it
    reason      TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    team        TEXT,
    done_at     TEXT,
    done_by     TEXT,
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
-- One open task of a kind for a place: a second case leaving the same building does not
-- send the team up the same stairs twice.
CREATE UNIQUE INDEX disinfections_open_place ON disinfections (kind, area_code) WHERE done_at IS NULL;
CREATE INDEX disinfections_open ON disinfections (path) WHERE done_at IS NULL;
CREATE INDEX disinfections_path ON disinfections (path, created_at);

CREATE TABLE waste_collections (
    id            INTEGER PRIMARY KEY,
    area_code     TEXT NOT NULL REFERENCES areas (code),  -- the building
    path          TEXT NOT NULL,
    collected_at  TEXT NOT NULL,
    team          TEXT NOT NULL,
    bags          INTEGER NOT NULL CHECK (bags >= 0),
    apart_bags    INTEGER NOT NULL CHECK (apart_bags >= 0),  -- from homes with a case or contact
    apart_homes   INTEGER NOT NULL,     -- such homes in the building when it was collected
    note          TEXT NOT NULL DEFAULT '',
    recorded_at   TEXT NOT NULL,
    recorded_by   TEXT NOT NULL
);
CREATE INDEX waste_collections_area ON waste_collections (area_code, collected_at);
CREATE INDEX waste_collections_path ON waste_collections (path, collected_at);
