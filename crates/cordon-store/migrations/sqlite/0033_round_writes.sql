-- A round writes a delivery for each household of its area in one statement (150,000 for a
-- district): each index and each foreign-key check on that statement is paid per row. A
-- household is one area, so its path names it as well as its code: the round's list index,
-- made unique, is the "once per household" the (round, household) constraint was, and the
-- second index goes. The foreign key to the round went the way of the one to areas: the
-- round's row is written by the same transaction, just before, and nothing deletes a round
-- but the purge, which deletes its deliveries first. SQLite drops a table's constraint by
-- building the table again.
CREATE TABLE deliveries_next (
    id              INTEGER PRIMARY KEY,
    distribution_id INTEGER NOT NULL,
    household_code  TEXT NOT NULL,
    path            TEXT NOT NULL,
    members         INTEGER NOT NULL,
    packages        INTEGER NOT NULL,
    vulnerable      INTEGER NOT NULL,
    outcome         TEXT,
    outcome_at      TEXT,
    outcome_by      TEXT,
    note            TEXT NOT NULL DEFAULT '',
    need_id         INTEGER
);
INSERT INTO deliveries_next (id, distribution_id, household_code, path, members, packages, vulnerable,
    outcome, outcome_at, outcome_by, note, need_id)
SELECT id, distribution_id, household_code, path, members, packages, vulnerable,
    outcome, outcome_at, outcome_by, note, need_id FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_next RENAME TO deliveries;
CREATE UNIQUE INDEX deliveries_round ON deliveries (distribution_id, path);
CREATE INDEX deliveries_household ON deliveries (household_code, outcome_at) WHERE outcome = 'delivered';
CREATE INDEX deliveries_open ON deliveries (path) WHERE outcome IS NULL OR outcome = 'nobody_home';
