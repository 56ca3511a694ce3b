-- 破窗 (break the glass): a user reads one person outside their areas, stating why. The grant
-- lasts a while (the server gives an hour); every read under it is in the audit of reads, and
-- headquarters' audit viewer lists each glass broken with its reason. Append-only, like the
-- audit.
CREATE TABLE glass_breaks (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    until      TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    username   TEXT NOT NULL,
    person_id  TEXT NOT NULL,
    reason     TEXT NOT NULL
);
CREATE INDEX glass_breaks_grant ON glass_breaks (user_id, person_id, until);

CREATE TRIGGER glass_breaks_no_update BEFORE UPDATE ON glass_breaks
BEGIN
    SELECT RAISE(ABORT, 'the audit of reads is append-only');
END;
CREATE TRIGGER glass_breaks_no_delete BEFORE DELETE ON glass_breaks
BEGIN
    SELECT RAISE(ABORT, 'the audit of reads is append-only');
END;
