-- A door recorded on a phone without the network and sent later: the id the phone made for it, so
-- a retry or a second tab keeps it once.
ALTER TABLE door_outcomes ADD COLUMN device_action TEXT;
CREATE UNIQUE INDEX door_outcomes_device_action ON door_outcomes (device_action);
