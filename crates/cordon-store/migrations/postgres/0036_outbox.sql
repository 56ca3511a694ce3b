-- 消息通知 and the resident's own sign-in. The outbox: one row a message, written in the
-- transaction of the change that causes it; it names its recipient (a household, a person or a
-- user), never a number, and holds the facts it tells as JSON (`params`), so its words are written
-- in the recipient's language when it is sent. A code asked for by a phone is kept by the phone's
-- blind index whether or not the phone is registered (the limits then answer alike), with the
-- code's hash only; a resident's session, by its token's hash.
CREATE TABLE outbox (
    id             BIGSERIAL PRIMARY KEY,
    kind           TEXT NOT NULL,
    recipient_kind TEXT NOT NULL,
    recipient      TEXT NOT NULL,
    params         TEXT NOT NULL,
    district_code  TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    state          TEXT NOT NULL DEFAULT 'queued',
    attempts       BIGINT NOT NULL DEFAULT 0,
    next_at        TIMESTAMPTZ NOT NULL,
    sent_at        TIMESTAMPTZ,
    last_error     TEXT
);
-- What the sender takes next: only the queued are in it.
CREATE INDEX outbox_due ON outbox (next_at, id) WHERE state = 'queued';
CREATE INDEX outbox_recipient ON outbox (recipient_kind, recipient, id);

CREATE TABLE resident_codes (
    id             BIGSERIAL PRIMARY KEY,
    phone_index    BYTEA NOT NULL,
    -- The household the phone opens; NULL when no one in the register has it.
    household_code TEXT,
    person_id      TEXT,
    code_hash      TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    tries          BIGINT NOT NULL DEFAULT 0,
    spent_at       TIMESTAMPTZ
);
CREATE INDEX resident_codes_phone ON resident_codes (phone_index, created_at);

CREATE TABLE resident_sessions (
    token_hash     TEXT PRIMARY KEY,
    household_code TEXT NOT NULL,
    person_id      TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ
);
CREATE INDEX resident_sessions_household ON resident_sessions (household_code);

-- 通知公告: a notice a worker posts to an area; residents under it read it, and it is texted to
-- every household under it (the outbox, in the same transaction).
CREATE TABLE announcements (
    id            BIGSERIAL PRIMARY KEY,
    area_code     TEXT NOT NULL REFERENCES areas (code),
    path          TEXT COLLATE "C" NOT NULL,
    district_code TEXT,
    text_zh       TEXT NOT NULL,
    text_en       TEXT,
    households    BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX announcements_path ON announcements (path, created_at);

-- A zone raised over a district writes 150,000 rows at once, and the sender's read of what is due
-- is planned on the table's statistics: stale, PostgreSQL sorts every queued row for each batch
-- (0.43 s) instead of walking `outbox_due` (0.04 s). Analysed and vacuumed after a hundredth of
-- the table changes, not the default tenth.
ALTER TABLE outbox SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
