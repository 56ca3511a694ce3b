-- A round's name in English beside the one it was planned under (empty: that one serves both),
-- so a page or a message in English names the round in English.
ALTER TABLE test_rounds ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
