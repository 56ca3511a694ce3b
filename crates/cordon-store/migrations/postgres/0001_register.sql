-- The register: areas, people, users, sessions and the audit of reads.
-- Text that is searched by range (codes, names, phones, paths) uses COLLATE "C": byte order,
-- which the materialized-path and prefix ranges rely on.

CREATE TABLE areas (
    id            BIGINT PRIMARY KEY,
    code          TEXT COLLATE "C" NOT NULL UNIQUE,
    parent_code   TEXT COLLATE "C",
    level         TEXT NOT NULL,
    depth         INTEGER NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    path          TEXT COLLATE "C" NOT NULL,
    district_code TEXT COLLATE "C",
    shape         TEXT,
    residents     BIGINT NOT NULL DEFAULT 0,
    households    BIGINT NOT NULL DEFAULT 0,
    vulnerable    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX areas_parent ON areas (parent_code, name);
CREATE INDEX areas_path ON areas (path);

CREATE TABLE people (
    person_id      TEXT COLLATE "C" PRIMARY KEY,
    name           TEXT COLLATE "C" NOT NULL,
    id_number      TEXT COLLATE "C",
    phone          TEXT COLLATE "C",
    birth_year     INTEGER,
    sex            TEXT NOT NULL,
    household_code TEXT COLLATE "C" NOT NULL,
    tags           TEXT NOT NULL DEFAULT '',
    vulnerable     BOOLEAN NOT NULL DEFAULT FALSE,
    district_code  TEXT COLLATE "C",
    path           TEXT COLLATE "C" NOT NULL
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    scope_code    TEXT COLLATE "C" NOT NULL REFERENCES areas (code),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_reads (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    user_id   BIGINT NOT NULL,
    username  TEXT NOT NULL,
    person_id TEXT COLLATE "C" NOT NULL,
    route     TEXT NOT NULL
);
CREATE INDEX audit_reads_person ON audit_reads (person_id, at);
CREATE INDEX audit_reads_user ON audit_reads (user_id, at);
