-- 转归 where: a case admitted or isolated names the stay that holds it (the one record of where a
-- person is isolated), not a place typed in; outcome_place keeps the site and room as they were
-- called then, for the case's history. No foreign key: the purge deletes stays on its own step.
ALTER TABLE cases ADD COLUMN outcome_stay_id INTEGER;
