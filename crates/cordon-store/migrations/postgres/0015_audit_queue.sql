-- The audit's chain is linked behind the readers instead of in their transactions. Locking the
-- chain's head in every read of a person made every reader in the city take turns on one row
-- (about 450 reads a second on PostgreSQL, and gate decisions read people). Now a read appends
-- its entries and queues them in audit_pending, with no lock; one linker at a time (the
-- server's, every second, and `cordon audit verify`) links the queue in order under the
-- chain's lock, and keeps each link, with its place, in audit_links. audit_reads stays
-- append-only, and so does audit_links.
CREATE TABLE audit_links (
    seq       BIGINT PRIMARY KEY,
    entry_id  BIGINT NOT NULL UNIQUE,
    link      TEXT NOT NULL
);
CREATE TABLE audit_pending (
    entry_id  BIGINT PRIMARY KEY
);
-- The entries linked so far keep their link, and their id as their place.
INSERT INTO audit_links (seq, entry_id, link) SELECT id, id, link FROM audit_reads WHERE link IS NOT NULL;
-- Entries from here on are linked through the queue; those before without a link were written
-- before the chain began.
ALTER TABLE audit_chain ADD COLUMN queued_from BIGINT NOT NULL DEFAULT 0;
UPDATE audit_chain SET queued_from = (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_reads);

CREATE TRIGGER audit_links_no_change BEFORE UPDATE OR DELETE ON audit_links
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_links_no_truncate BEFORE TRUNCATE ON audit_links
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
