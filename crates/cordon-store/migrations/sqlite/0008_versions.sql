-- Versions of what a reader keeps results of, each bumped in the transaction of every change to
-- what it counts, so a reader may keep what it computed until the number moves:
--   units: the areas, their residents and the zones (the units the coverage of 包联 looks at);
--   areas: the areas and their residents alone (an import).
-- A zone keeps the units version of its last change: a reader holding an older version reads
-- again only under the zones changed since.
CREATE TABLE versions (
    name TEXT PRIMARY KEY,
    n    BIGINT NOT NULL
);
INSERT INTO versions (name, n) VALUES ('units', 0), ('areas', 0);
ALTER TABLE zones ADD COLUMN units_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX zones_units_version ON zones (units_version);
