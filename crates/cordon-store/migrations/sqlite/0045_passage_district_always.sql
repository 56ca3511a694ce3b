-- Every passage is kept under a district, now written with each one: the gate's, else that of
-- the area it was decided in, an area above every district standing for itself (a Citus
-- cluster spreads the log by it, and a passage with none could not be placed). Older rows get
-- theirs the same way.
UPDATE gate_passages SET district_code = (
    SELECT COALESCE(a.district_code, a.code) FROM areas a WHERE a.path = gate_passages.path
) WHERE district_code IS NULL;
UPDATE gate_passages SET district_code = '' WHERE district_code IS NULL;
