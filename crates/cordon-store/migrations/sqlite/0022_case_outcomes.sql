-- 转归: a case's course to its end. The last outcome recorded (hospitalised, isolated, recovered,
-- died; NULL while none is) with when and where, and for a recovered case the end of its health
-- monitoring at home. The course itself is in case_events, one line per outcome.
ALTER TABLE cases ADD COLUMN outcome TEXT;
ALTER TABLE cases ADD COLUMN outcome_at TEXT;
ALTER TABLE cases ADD COLUMN outcome_place TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN monitoring_until TEXT;
