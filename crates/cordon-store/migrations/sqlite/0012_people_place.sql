-- The register's path index becomes (path, person_id, vulnerable), made with the other indexes
-- of people as `people_place`: an export reads the register in that order, and with the
-- index the database streams it instead of sorting millions of rows first. The old index
-- served nothing the new one does not.
DROP INDEX IF EXISTS people_path;
