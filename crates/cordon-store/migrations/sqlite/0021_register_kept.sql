-- 户籍维护: the register kept up to date. A person's standing (active, moved_out, deceased):
-- nobody is deleted, one who left keeps their row and leaves the sweep lists and the counts.
-- Every change to a person — registered here, phone, tags, household, standing — is a line of
-- `person_changes` with who, when and why; a phone's values are never kept there (they are
-- sealed in `people` alone). People registered in Cordon are numbered from `register_ids`.
ALTER TABLE people ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
CREATE TABLE person_changes (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    by_user      TEXT NOT NULL,
    person_id    TEXT NOT NULL,
    change       TEXT NOT NULL,
    before_value TEXT,
    after_value  TEXT,
    reason       TEXT NOT NULL
);
CREATE INDEX person_changes_person ON person_changes (person_id, id);
CREATE TABLE register_ids (last INTEGER NOT NULL);
INSERT INTO register_ids (last) VALUES (0);
