-- A worker's inbox, and who a sealed household may be reached through.
--
-- Messages to workers (an escalation, an emergency) are delivered to their inbox the moment
-- they are written; `read_at` is when the worker opened them. The top bar counts the unread on
-- every page, so they have an index of their own, holding only the unread.
ALTER TABLE outbox ADD COLUMN read_at TIMESTAMPTZ;
CREATE INDEX outbox_unread ON outbox (recipient, id) WHERE recipient_kind = 'user' AND read_at IS NULL;

-- 值班电话: the official line of a post (a building's cadre, a community's duty desk), which a
-- household's page shows under "whom to call" — never the worker's own phone.
ALTER TABLE assignments ADD COLUMN duty_phone TEXT;

-- 亲属电话: a phone a worker adds to a household that has none of its own (an elderly person
-- alone), with the reason: it receives the household's messages and may sign in to its page.
-- Sealed and blind-indexed like a resident's own phone.
CREATE TABLE household_phones (
    id             BIGSERIAL PRIMARY KEY,
    household_code TEXT COLLATE "C" NOT NULL REFERENCES areas (code),
    phone_sealed   BYTEA NOT NULL,
    phone_index    BYTEA NOT NULL,
    relation       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    added_at       TIMESTAMPTZ NOT NULL,
    added_by       TEXT NOT NULL,
    removed_at     TIMESTAMPTZ,
    removed_by     TEXT
);
CREATE INDEX household_phones_household ON household_phones (household_code) WHERE removed_at IS NULL;
CREATE INDEX household_phones_phone ON household_phones (phone_index) WHERE removed_at IS NULL;
