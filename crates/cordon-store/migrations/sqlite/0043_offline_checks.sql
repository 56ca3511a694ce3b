-- A health check recorded on a phone without the network and sent later: the id the phone made
-- for it, so a retry or a second tab keeps it once.
ALTER TABLE contact_checks ADD COLUMN device_action TEXT;
CREATE UNIQUE INDEX contact_checks_device_action ON contact_checks (device_action);
