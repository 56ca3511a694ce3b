-- Who reported in, as they were that day: the party membership and organisation the figures
-- count are kept on the check-in, so counting a city's 60,000 needs no join with the workers.
ALTER TABLE checkins ADD COLUMN worker_party_member BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE checkins ADD COLUMN worker_organisation TEXT NOT NULL DEFAULT '';
UPDATE checkins c SET worker_party_member = w.party_member, worker_organisation = w.organisation
    FROM workers w WHERE w.worker_id = c.worker_id;
-- The day's range of a scope with what the figures count: counted from the index alone.
DROP INDEX checkins_day;
CREATE INDEX checkins_day ON checkins (day, path, worker_party_member, worker_organisation);
