-- A round writes a delivery for each household of its area in one statement (150,000 for a
-- district): each index and each foreign-key check on that statement is paid per row. A
-- household is one area, so its path names it as well as its code: the round's list index,
-- made unique, is the "once per household" the (round, household) constraint was, and the
-- second index goes. The foreign key to the round went the way of the one to areas: the
-- round's row is written by the same transaction, just before, and nothing deletes a round
-- but the purge, which deletes its deliveries first.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_distribution_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_distribution_id_household_code_key;
DROP INDEX deliveries_round;
CREATE UNIQUE INDEX deliveries_round ON deliveries (distribution_id, path);
