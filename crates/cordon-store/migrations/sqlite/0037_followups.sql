-- 医学观察中: the contacts under follow-up (identified or quarantined), a row each and only
-- while they are, with what exists only then: the end of the plan the release examines them on,
-- and the first test day missed. The store writes a row in the statement's transaction that
-- makes a contact followed (traced, placed, set back by hand) and deletes it in the one that ends
-- it (released, a case now, unreachable). The release then changes no indexed column of
-- `contacts`, and ending the follow-up is the delete of a narrow row here (see the PostgreSQL
-- migration, where it matters most).
CREATE TABLE followups (
    contact_id    INTEGER PRIMARY KEY REFERENCES contacts (id),
    -- The first day free of the plan (local date); NULL: no plan under the case's profile, or
    -- not recorded yet (the release's run records it).
    plan_ends     TEXT,
    -- The start (local midnight) of the first test day missed, and of the next test day (NULL:
    -- it was the last): the window in which a sample still makes it up.
    overdue_since TEXT,
    overdue_until TEXT
);
INSERT INTO followups (contact_id, plan_ends, overdue_since, overdue_until)
    SELECT id, plan_ends, overdue_since, overdue_until FROM contacts
    WHERE status IN ('identified', 'quarantined');
CREATE INDEX followups_due ON followups (plan_ends, contact_id);
CREATE INDEX followups_overdue ON followups (overdue_since) WHERE overdue_since IS NOT NULL;

DROP INDEX contacts_due;
DROP INDEX contacts_followed;
DROP INDEX contacts_overdue;
-- The marking of test days missed finds a plan's contacts by the day their quarantine began.
CREATE INDEX contacts_begun ON contacts (quarantine_from, kind);
ALTER TABLE contacts DROP COLUMN plan_ends;
ALTER TABLE contacts DROP COLUMN overdue_since;
ALTER TABLE contacts DROP COLUMN overdue_until;
