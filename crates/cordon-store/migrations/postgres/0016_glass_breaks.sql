-- 破窗 (break the glass): a user reads one person outside their areas, stating why. The grant
-- lasts a while (the server gives an hour); every read under it is in the audit of reads, and
-- headquarters' audit viewer lists each glass broken with its reason. Append-only, like the
-- audit.
CREATE TABLE glass_breaks (
    id         BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    until      TIMESTAMPTZ NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    username   TEXT NOT NULL,
    person_id  TEXT COLLATE "C" NOT NULL,
    reason     TEXT NOT NULL
);
CREATE INDEX glass_breaks_grant ON glass_breaks (user_id, person_id, until);

CREATE TRIGGER glass_breaks_no_change BEFORE UPDATE OR DELETE ON glass_breaks
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER glass_breaks_no_truncate BEFORE TRUNCATE ON glass_breaks
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
