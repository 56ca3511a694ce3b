-- A gate passage's district compares byte by byte, as every other code column does (they are
-- all COLLATE "C"): Citus keeps a passage beside its district's people only when the two
-- columns share a collation.
ALTER TABLE gate_passages ALTER COLUMN district_code TYPE TEXT COLLATE "C";
