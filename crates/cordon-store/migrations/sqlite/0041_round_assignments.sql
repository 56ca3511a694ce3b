-- 采样分工: the buildings (or any area) of a round that a sampler answers for. Their phone keeps
-- the round's list of those buildings, to sample without the network; samplers given the same
-- buildings are that round's team for them.
CREATE TABLE round_assignments (
    round_id    INTEGER NOT NULL REFERENCES test_rounds (id),
    area_code   TEXT NOT NULL REFERENCES areas (code),
    path        TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assigned_at TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    PRIMARY KEY (round_id, area_code, user_id)
);
CREATE INDEX round_assignments_user ON round_assignments (user_id, round_id);
