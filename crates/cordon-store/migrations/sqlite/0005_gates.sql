-- Gates (卡口): checkpoints on the areas they guard, passes (通行证), every decision taken at a
-- gate, and where each person or pass was last let through.

CREATE TABLE gates (
    id            INTEGER PRIMARY KEY,
    area_code     TEXT NOT NULL REFERENCES areas (code),
    path          TEXT NOT NULL,
    district_code TEXT,
    name          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    UNIQUE (area_code, name)
);
CREATE INDEX gates_path ON gates (path);

-- The QR code carries a signed copy of what the gate needs; this row adds what only the
-- server knows: revoked, used once.
CREATE TABLE gate_passes (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,     -- worker, delivery, medical, exception, emergency
    person_id     TEXT REFERENCES people (person_id),
    holder        TEXT NOT NULL,     -- as the gate shows it: a masked name, an organisation
    area_code     TEXT NOT NULL REFERENCES areas (code),
    path          TEXT NOT NULL,
    gate_ids      TEXT NOT NULL DEFAULT '',  -- comma-separated; empty: every gate in the area
    valid_from    TEXT NOT NULL,
    valid_until   TEXT NOT NULL,
    one_time      INTEGER NOT NULL DEFAULT 0,
    used_at       TEXT,
    used_gate_id  INTEGER,
    reason        TEXT NOT NULL,
    issued_at     TEXT NOT NULL,
    issued_by     TEXT NOT NULL,
    revoked_at    TEXT,
    revoked_by    TEXT,
    revoke_reason TEXT
);
CREATE INDEX gate_passes_path ON gate_passes (path, issued_at);
CREATE INDEX gate_passes_person ON gate_passes (person_id);

-- Every decision, refusals included. gate_id is NULL when the gate named does not exist (the
-- refusal is kept, under the scope of the cadre who asked).
CREATE TABLE gate_passages (
    id            INTEGER PRIMARY KEY,
    gate_id       INTEGER REFERENCES gates (id),
    path          TEXT NOT NULL,
    district_code TEXT,
    at            TEXT NOT NULL,
    direction     TEXT NOT NULL,     -- in, out
    subject       TEXT NOT NULL,     -- resident, worker, delivery, ambulance
    -- Whom the passage is about: the person, else the pass, else nothing known.
    subject_key   TEXT,
    person_id     TEXT,
    pass_id       TEXT,
    outcome       TEXT NOT NULL,     -- allowed, refused, ask_confirmation
    rule          TEXT NOT NULL,
    gate_tier     TEXT,
    home_tier     TEXT,
    standing      TEXT NOT NULL,
    lives_inside  INTEGER NOT NULL,
    confirmed     INTEGER NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    decided_by    TEXT NOT NULL
);
CREATE INDEX gate_passages_gate ON gate_passages (gate_id, at);
CREATE INDEX gate_passages_path ON gate_passages (path, at);
CREATE INDEX gate_passages_person ON gate_passages (person_id, at);

-- The last passage let through for each person or pass: who is out of their zone, who is
-- inside one they do not live in, and who went into a sealed zone to stay.
CREATE TABLE gate_presence (
    subject_key  TEXT PRIMARY KEY,
    passage_id   INTEGER NOT NULL REFERENCES gate_passages (id),
    person_id    TEXT,
    pass_id      TEXT,
    gate_id      INTEGER NOT NULL REFERENCES gates (id),
    path         TEXT NOT NULL,
    direction    TEXT NOT NULL,
    lives_inside INTEGER NOT NULL,
    confirmed    INTEGER NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX gate_presence_path ON gate_presence (path);
