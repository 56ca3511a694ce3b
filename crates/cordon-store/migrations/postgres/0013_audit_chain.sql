-- The audit of reads becomes tamper-evident: each entry carries its link of a hash chain
-- (cordon_domain::audit_link over the previous link and the entry), and the head and the
-- number of linked entries are kept beside the table, so `cordon audit verify` finds an
-- entry altered, removed or cut off the end. Entries written before this have no link.
ALTER TABLE audit_reads ADD COLUMN link TEXT;

CREATE TABLE audit_chain (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    head    TEXT NOT NULL,
    linked  BIGINT NOT NULL
);
INSERT INTO audit_chain (id, head, linked) VALUES (1, '', 0);

-- Append-only: the database refuses to change or remove an entry.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit of reads is append-only';
END
$$;
CREATE TRIGGER audit_reads_no_change BEFORE UPDATE OR DELETE ON audit_reads
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_reads_no_truncate BEFORE TRUNCATE ON audit_reads
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
