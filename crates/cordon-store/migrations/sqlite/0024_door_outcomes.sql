-- 扫楼: what a sweep team found at each door of a round's list. One row per visit: a person
-- not at home is visited again, and each visit is kept. path is the household's at the visit,
-- so the round's figures for an area read an index range; a settling outcome (sampled at the
-- door, moved out, refused) takes the person off the round's list.
CREATE TABLE door_outcomes (
    id          INTEGER PRIMARY KEY,
    round_id    INTEGER NOT NULL REFERENCES test_rounds (id),
    person_id   TEXT NOT NULL,
    path        TEXT NOT NULL,
    outcome     TEXT NOT NULL,         -- sampled, not_home, moved_out, refused, found
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX door_outcomes_person ON door_outcomes (round_id, person_id);
CREATE INDEX door_outcomes_path ON door_outcomes (round_id, path);
