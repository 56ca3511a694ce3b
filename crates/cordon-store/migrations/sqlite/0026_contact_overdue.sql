-- 医学观察 at a million contacts. The release reads the contacts due a page at a time in the
-- order of (plan_ends, id), so its index holds both and a page starts where the last ended
-- instead of walking every contact by id. overdue_since is the start (local midnight) of the
-- first test day of a contact's plan that passed without a sample and overdue_until the start
-- of the next test day (NULL: it was the last), the window in which a sample still makes it up.
-- The follow-up task marks them the night after and looks again when a sample lands in the
-- window, so the dashboard counts the tests overdue with the contacts under management; it
-- finds the contacts with a test day by the day their quarantine began.
DROP INDEX contacts_due;
CREATE INDEX contacts_due ON contacts (plan_ends, id) WHERE status IN ('identified', 'quarantined');
ALTER TABLE contacts ADD COLUMN overdue_since TEXT;
ALTER TABLE contacts ADD COLUMN overdue_until TEXT;
CREATE INDEX contacts_followed ON contacts (quarantine_from, kind) WHERE status IN ('identified', 'quarantined');
CREATE INDEX contacts_overdue ON contacts (overdue_since)
    WHERE overdue_since IS NOT NULL AND status IN ('identified', 'quarantined');
