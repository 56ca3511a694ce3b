-- Cases and contacts (流调): venues and the scans of their codes, cases with their history and
-- trajectories, the contacts derived from them, and the public notices. case_events rows are
-- only inserted; cases.class, isolated_at and source_case_id follow from them.

CREATE TABLE venues (
    venue_id   TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    -- The area the venue stands in (a street, community or compound): where a notice that may
    -- not name it points instead.
    area_code  TEXT COLLATE "C" NOT NULL REFERENCES areas (code),
    kind       TEXT NOT NULL DEFAULT ''
);

-- One row per file of scans ingested: a file is identified by its SHA-256, so sending the same
-- file again adds nothing.
CREATE TABLE scan_files (
    id          BIGSERIAL PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    rows        BIGINT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    imported_by TEXT NOT NULL
);

CREATE TABLE scans (
    id         BIGSERIAL PRIMARY KEY,
    person_id  TEXT COLLATE "C" NOT NULL,
    venue_id   TEXT COLLATE "C" NOT NULL,
    scanned_at TIMESTAMPTZ NOT NULL,
    file_id    BIGINT NOT NULL REFERENCES scan_files (id)
);

CREATE TABLE cases (
    id              BIGSERIAL PRIMARY KEY,
    person_id       TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES people (person_id),
    path            TEXT COLLATE "C" NOT NULL,
    district_code   TEXT COLLATE "C",
    class           TEXT NOT NULL,     -- asymptomatic, confirmed
    onset_date      DATE,              -- local date, YYYY-MM-DD
    sampled_at      TIMESTAMPTZ NOT NULL,
    infectious_from TIMESTAMPTZ NOT NULL,
    isolated_at     TIMESTAMPTZ,
    isolation_place TEXT NOT NULL DEFAULT '',
    source_case_id  BIGINT REFERENCES cases (id),
    profile_key     TEXT NOT NULL REFERENCES profiles (key),
    traced_at       TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    created_by      TEXT NOT NULL
);
CREATE INDEX cases_path ON cases (path);

CREATE TABLE case_events (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    at          TIMESTAMPTZ NOT NULL,
    kind        TEXT NOT NULL,  -- opened, reclassified, isolated, linked, traced, note
    detail      TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, at);

-- A case's trajectory: timed segments at venues or in areas, with the transport to them.
CREATE TABLE case_segments (
    id               BIGSERIAL PRIMARY KEY,
    case_id          BIGINT NOT NULL REFERENCES cases (id),
    starts_at        TIMESTAMPTZ NOT NULL,
    ends_at          TIMESTAMPTZ,
    venue_id         TEXT COLLATE "C" REFERENCES venues (venue_id),
    area_code        TEXT COLLATE "C" NOT NULL REFERENCES areas (code),
    place            TEXT NOT NULL,
    transport        TEXT,
    transport_detail TEXT NOT NULL DEFAULT '',
    recorded_by      TEXT NOT NULL
);
CREATE INDEX case_segments_case ON case_segments (case_id, starts_at);

CREATE TABLE contacts (
    id             BIGSERIAL PRIMARY KEY,
    case_id        BIGINT NOT NULL REFERENCES cases (id),
    person_id      TEXT COLLATE "C" NOT NULL,
    -- The household's path when the contact is in the register; NULL for someone who is not
    -- (a visitor, a traveller), seen through the case only.
    path           TEXT COLLATE "C",
    kind           TEXT NOT NULL,  -- close, secondary
    source         TEXT NOT NULL,  -- household, venue
    via_person_id  TEXT COLLATE "C" NOT NULL,
    venue_id       TEXT COLLATE "C",
    exposure_at    TIMESTAMPTZ NOT NULL,
    identified_at  TIMESTAMPTZ NOT NULL,
    quarantine_from DATE NOT NULL, -- local date
    status         TEXT NOT NULL,
    place          TEXT NOT NULL DEFAULT '',
    updated_at     TIMESTAMPTZ NOT NULL,
    updated_by     TEXT NOT NULL,
    UNIQUE (case_id, person_id)
);
CREATE INDEX contacts_path ON contacts (path);
CREATE INDEX contacts_person ON contacts (person_id);

CREATE TABLE notices (
    id           BIGSERIAL PRIMARY KEY,
    case_id      BIGINT NOT NULL REFERENCES cases (id),
    status       TEXT NOT NULL,   -- draft, published, withdrawn
    k            INTEGER NOT NULL,
    text_zh      TEXT NOT NULL,
    text_en      TEXT NOT NULL,
    generalised  INTEGER NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   TEXT NOT NULL,
    published_at TIMESTAMPTZ,
    published_by TEXT
);
CREATE INDEX notices_case ON notices (case_id);
