-- 医学观察: a contact followed to the end of their plan. plan_ends is the first day free of the
-- plan (local date; NULL: no plan under the case's profile, or traced before this migration and
-- filled by the first release run), so the release finds the contacts due on an index instead of
-- reading every contact; became_case_id links a contact to the case they became; released_at is
-- when the release was made (by the task's run, or by hand), never before the plan's end. The daily health checks are their own rows.
ALTER TABLE contacts ADD COLUMN plan_ends DATE;
ALTER TABLE contacts ADD COLUMN became_case_id BIGINT REFERENCES cases (id);
ALTER TABLE contacts ADD COLUMN released_at TIMESTAMPTZ;
CREATE INDEX contacts_due ON contacts (plan_ends) WHERE status IN ('identified', 'quarantined');

CREATE TABLE contact_checks (
    id          BIGSERIAL PRIMARY KEY,
    contact_id  BIGINT NOT NULL REFERENCES contacts (id),
    at          TIMESTAMPTZ NOT NULL,
    temperature INTEGER NOT NULL,      -- tenths of a degree Celsius
    symptoms    TEXT NOT NULL,         -- comma-separated, empty when none
    unwell      BOOLEAN NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX contact_checks_contact ON contact_checks (contact_id, at);
