-- A delivery that fulfilled a resident's request for food or medicine (the request resolved in
-- the delivery's transaction). No foreign key: the purge deletes deliveries and needs on their
-- own steps.
ALTER TABLE deliveries ADD COLUMN need_id BIGINT;
