-- 医学观察中: the contacts under follow-up (identified or quarantined), a row each and only
-- while they are, with what exists only then: the end of the plan the release examines them on,
-- and the first test day missed. The store writes a row in the statement's transaction that
-- makes a contact followed (traced, placed, set back by hand) and deletes it in the one that ends
-- it (released, a case now, unreachable).
--
-- Why a table of its own: the nightly release ends about a tenth of a million contacts. While
-- the partial indexes that found them named `status`, each release rewrote every index of
-- `contacts` for every row (no index may name a column an in-place update changes). Now no index
-- of `contacts` names `status`, and the table keeps half of each page free, because a case's
-- contacts, written together, are released together — a page's every row at once — so the
-- release's update stays on its page (HOT) and touches no index, and ending the follow-up is
-- the delete of a narrow row here. Measured at 5,000 contacts released: 90–116 ms before,
-- 13.5 ms for the update and 6.7 ms for the delete after.
CREATE TABLE followups (
    contact_id    BIGINT PRIMARY KEY REFERENCES contacts (id),
    -- The first day free of the plan (local date); NULL: no plan under the case's profile, or
    -- not recorded yet (the release's run records it).
    plan_ends     DATE,
    -- The start (local midnight) of the first test day missed, and of the next test day (NULL:
    -- it was the last): the window in which a sample still makes it up.
    overdue_since TIMESTAMPTZ,
    overdue_until TIMESTAMPTZ
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
ALTER TABLE contacts DROP COLUMN plan_ends, DROP COLUMN overdue_since, DROP COLUMN overdue_until;
-- Rows written from now on; the rows already there keep their pages until rewritten.
ALTER TABLE contacts SET (fillfactor = 50);
