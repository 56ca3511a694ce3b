-- 合并重复登记: each merge of two register entries, kept so the kept person's history tells
-- where its records came from (the merged entry's row is gone; its id stays here and in the
-- audit of reads). A purge empties the reason and forgets the ids.
CREATE TABLE person_merges (
    id         BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    by_user    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    kept_id    TEXT NOT NULL,
    merged_id  TEXT NOT NULL,
    moved      TEXT NOT NULL
);
CREATE INDEX person_merges_kept ON person_merges (kept_id);
CREATE INDEX person_merges_merged ON person_merges (merged_id);
