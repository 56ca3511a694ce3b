-- The register: areas, people, users, sessions and the audit of reads.
-- Instants are stored as RFC 3339 text in UTC (sqlx's chrono mapping for SQLite).

CREATE TABLE areas (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    parent_code   TEXT,
    level         TEXT NOT NULL,
    depth         INTEGER NOT NULL,
    name          TEXT NOT NULL,
    -- Materialized path of base-36 ids (see cordon_domain::AreaPath): a subtree is a range.
    path          TEXT NOT NULL,
    -- Every large table carries its district, so PostgreSQL can be distributed by it.
    district_code TEXT,
    shape         TEXT,
    -- Subtree counts, kept by refresh_stats after each import (households: counted live).
    residents     INTEGER NOT NULL DEFAULT 0,
    households    INTEGER NOT NULL DEFAULT 0,
    vulnerable    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX areas_parent ON areas (parent_code, name);
CREATE INDEX areas_path ON areas (path);

CREATE TABLE people (
    person_id      TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    id_number      TEXT,
    phone          TEXT,
    birth_year     INTEGER,
    sex            TEXT NOT NULL,
    household_code TEXT NOT NULL,
    tags           TEXT NOT NULL DEFAULT '',
    vulnerable     INTEGER NOT NULL DEFAULT 0,
    district_code  TEXT,
    path           TEXT NOT NULL
);
-- The secondary indexes of people are made by the store (ensure_indexes), so a bulk load
-- into an empty table can build them once at the end instead of row by row.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    scope_code    TEXT NOT NULL REFERENCES areas (code),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Who read which person, when, through which route. Append-only by convention here; the
-- security issue adds a hash chain.
CREATE TABLE audit_reads (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   INTEGER NOT NULL,
    username  TEXT NOT NULL,
    person_id TEXT NOT NULL,
    route     TEXT NOT NULL
);
CREATE INDEX audit_reads_person ON audit_reads (person_id, at);
CREATE INDEX audit_reads_user ON audit_reads (user_id, at);
