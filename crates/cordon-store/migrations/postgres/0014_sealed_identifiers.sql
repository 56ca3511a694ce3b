-- ID numbers and phones sealed at rest (cordon-store seal.rs): each is stored encrypted beside
-- its blind index, a keyed hash that finds a person by the exact number. The store seals what
-- the clear columns hold when it opens the database and then drops them (sealing.rs), since a
-- key is needed and SQL has none; the clear columns' indexes go here.
DROP INDEX IF EXISTS people_phone;
DROP INDEX IF EXISTS people_id_number;
ALTER TABLE people ADD COLUMN id_sealed BYTEA;
ALTER TABLE people ADD COLUMN id_index BYTEA;
ALTER TABLE people ADD COLUMN phone_sealed BYTEA;
ALTER TABLE people ADD COLUMN phone_index BYTEA;
ALTER TABLE needs ADD COLUMN contact_sealed BYTEA;
