-- A person's samples are read to their results one tube id at a time: the nightly release of
-- contacts and its marking of test days missed read hundreds of thousands a night, a contact's
-- follow-up page a few. Each such read went from an index to the table twice, the person's
-- samples for their tube ids and each tube for its result, at random pages of tables larger
-- than the buffers. Both indexes now carry what those reads take, so each is answered from the
-- index alone once the tables are vacuumed. The key's index grows by what it carries; a result
-- written rewrites the entry, as it did already (the result is indexed for the round's figures,
-- so that update was never in place).
ALTER TABLE tubes DROP CONSTRAINT tubes_pkey,
    ADD CONSTRAINT tubes_pkey PRIMARY KEY (tube_id) INCLUDE (collected_at, result, reported_at);
DROP INDEX samples_person;
CREATE INDEX samples_person ON samples (person_id, round_id) INCLUDE (tube_id);
