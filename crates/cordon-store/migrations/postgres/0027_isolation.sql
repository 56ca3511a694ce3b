-- 集中隔离与收治: a site's kind, its rooms (or beds) and the stays in them. A room's occupancy is
-- the stays open in it, never a number typed in: quarantine_sites.occupied is no longer read.
-- A person has at most one open stay (the unique partial index), and a room no more open stays
-- than beds (checked in the transaction that writes the stay). path is the person's household's
-- at check-in, so every list of stays is scoped by an index range; contact_id and case_id let a
-- release or a discharge close the stay in the transaction that writes it.
ALTER TABLE quarantine_sites ADD COLUMN kind TEXT NOT NULL DEFAULT 'hotel';

CREATE TABLE site_rooms (
    id          BIGSERIAL PRIMARY KEY,
    site_id     TEXT NOT NULL REFERENCES quarantine_sites (id),
    label       TEXT NOT NULL,
    beds        BIGINT NOT NULL,
    state       TEXT NOT NULL,          -- ready, cleaning, out_of_service
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  TEXT NOT NULL,
    UNIQUE (site_id, label)
);

-- The rooms a site was created with, numbered from 1, one bed each.
INSERT INTO site_rooms (site_id, label, beds, state, updated_at, updated_by)
SELECT s.id, CAST(n.i AS TEXT), 1, 'ready', s.created_at, s.created_by
FROM quarantine_sites s CROSS JOIN LATERAL generate_series(1, s.rooms) AS n (i);

CREATE TABLE stays (
    id              BIGSERIAL PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES people (person_id),
    household_code  TEXT NOT NULL,
    path            TEXT NOT NULL,
    site_id         TEXT NOT NULL REFERENCES quarantine_sites (id),
    room_id         BIGINT NOT NULL REFERENCES site_rooms (id),
    guest           TEXT NOT NULL,      -- case, close_contact, secondary_contact, companion
    case_id         BIGINT REFERENCES cases (id),
    contact_id      BIGINT REFERENCES contacts (id),
    checked_in_at   TIMESTAMPTZ NOT NULL,
    planned_out     DATE,
    checked_out_at  TIMESTAMPTZ,
    out_reason      TEXT,
    created_by      TEXT NOT NULL,
    checked_out_by  TEXT
);
CREATE UNIQUE INDEX stays_open_person ON stays (person_id) WHERE checked_out_at IS NULL;
CREATE INDEX stays_open_room ON stays (room_id) WHERE checked_out_at IS NULL;
CREATE INDEX stays_site ON stays (site_id, checked_in_at);
CREATE INDEX stays_path ON stays (path) WHERE checked_out_at IS NULL;
CREATE INDEX stays_contact ON stays (contact_id) WHERE checked_out_at IS NULL AND contact_id IS NOT NULL;
CREATE INDEX stays_case ON stays (case_id) WHERE checked_out_at IS NULL AND case_id IS NOT NULL;
