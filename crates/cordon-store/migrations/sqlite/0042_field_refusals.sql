-- 离线未入库: an action a phone took without the network (a tube, a door) that the server refused
-- when it arrived — a barcode already used, a person no longer on the list, the round closed.
-- The phone shows it to its worker; this keeps it for whoever plans the round, so nothing taken
-- in the field is dropped unseen. A phone sending the same action again keeps the first row.
CREATE TABLE field_refusals (
    device_action TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,   -- tube, door
    round_id      INTEGER NOT NULL REFERENCES test_rounds (id),
    -- Where it was taken (the building, or the person's home): who may read it.
    path          TEXT NOT NULL,
    username      TEXT NOT NULL,
    subject       TEXT NOT NULL,   -- the tube's barcode, or the person
    reason        TEXT NOT NULL,
    error         TEXT NOT NULL,
    at            TEXT NOT NULL,   -- by the phone's clock, corrected
    received_at   TEXT NOT NULL
);
CREATE INDEX field_refusals_round ON field_refusals (round_id, path);
