-- 转运: an order to move a household's people to a site, the rooms held for them while it is
-- open, and its timeline. What the timeline comes to (stage, the rung that owns it, the next
-- deadline) is kept on the row in the transaction of every event, as a need's is, so the board
-- reads one index range and the escalation sweep only what is due. A passenger's room is held
-- (state 'held') from the order to the arrival, when the stay is written in the same
-- transaction ('in'), or to the cancellation ('off'): a person is on one open order at most.
CREATE TABLE transfers (
    id              INTEGER PRIMARY KEY,
    household_code  TEXT NOT NULL REFERENCES areas (code),
    path            TEXT NOT NULL,
    site_id         TEXT NOT NULL REFERENCES quarantine_sites (id),
    guest           TEXT NOT NULL,          -- whose rule sets the pace: the fastest passenger's
    profile_key     TEXT NOT NULL REFERENCES profiles (key),
    stage           TEXT NOT NULL,
    rung            TEXT NOT NULL,
    due_at          TEXT,
    escalates       INTEGER NOT NULL,
    escalations     INTEGER NOT NULL,
    vehicle         TEXT,
    pass_id         TEXT REFERENCES gate_passes (id),
    reason          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL
);
CREATE INDEX transfers_path ON transfers (path, created_at);
CREATE INDEX transfers_due ON transfers (due_at) WHERE escalates;
CREATE INDEX transfers_site ON transfers (site_id) WHERE stage NOT IN ('arrived', 'cancelled');

CREATE TABLE transfer_people (
    transfer_id     INTEGER NOT NULL REFERENCES transfers (id),
    person_id       TEXT NOT NULL REFERENCES people (person_id),
    household_code  TEXT NOT NULL,
    room_id         INTEGER NOT NULL REFERENCES site_rooms (id),
    guest           TEXT NOT NULL,
    case_id         INTEGER REFERENCES cases (id),
    contact_id      INTEGER REFERENCES contacts (id),
    planned_out     TEXT,
    state           TEXT NOT NULL,          -- held, in, off
    stay_id         INTEGER REFERENCES stays (id),
    PRIMARY KEY (transfer_id, person_id)
);
CREATE UNIQUE INDEX transfer_people_held ON transfer_people (person_id) WHERE state = 'held';
CREATE INDEX transfer_people_room ON transfer_people (room_id) WHERE state = 'held';
CREATE INDEX transfer_people_person ON transfer_people (person_id);

CREATE TABLE transfer_events (
    id           INTEGER PRIMARY KEY,
    transfer_id  INTEGER NOT NULL REFERENCES transfers (id),
    at           TEXT NOT NULL,
    event        TEXT NOT NULL,
    note         TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX transfer_events_transfer ON transfer_events (transfer_id, id);
