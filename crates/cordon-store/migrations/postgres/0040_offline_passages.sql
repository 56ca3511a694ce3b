-- A passage decided on a gate device without the network, synced later (离线判定): the id the
-- device made for it (a retry or a second tab sends the same id, and it is kept once), when the
-- server received it (the device's clock keeps `at`), and where the server's own decision, taken
-- again on what it knows, differs from the device's (a pass revoked while the gate was offline).
ALTER TABLE gate_passages ADD COLUMN device_action TEXT;
ALTER TABLE gate_passages ADD COLUMN received_at TIMESTAMPTZ;
ALTER TABLE gate_passages ADD COLUMN conflict TEXT;
CREATE UNIQUE INDEX gate_passages_device_action ON gate_passages (device_action);
