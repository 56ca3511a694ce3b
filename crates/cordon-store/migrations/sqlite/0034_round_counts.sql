-- A round counts its own doors: delivered and refused move with each outcome, in its
-- transaction, and what is open is the rest. The index of every open delivery (each row of a
-- new round went into it) goes: a round inside the reader's areas answers from its counts, and
-- a round over a larger area (a district's, read by a community) from the round's own list
-- index over the reader's households.
ALTER TABLE distributions ADD COLUMN delivered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE distributions ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
UPDATE distributions SET
    delivered = (SELECT count(*) FROM deliveries x WHERE x.distribution_id = distributions.id AND x.outcome = 'delivered'),
    refused = (SELECT count(*) FROM deliveries x WHERE x.distribution_id = distributions.id AND x.outcome = 'refused');
DROP INDEX deliveries_open;
