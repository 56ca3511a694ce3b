-- 权限: each role's rights, as data. Every (role, right) pair has a row, granted or not, so a
-- right an operator revoked stays revoked and a right added by a later version starts, for each
-- role, as that version's table says (the store fills the missing pairs when it opens). Who
-- changed a pair last, and when, stays with it.
CREATE TABLE role_rights (
    role        TEXT NOT NULL,
    right_name  TEXT NOT NULL,
    granted     BOOLEAN NOT NULL,
    changed_at  TIMESTAMPTZ,
    changed_by  TEXT,
    PRIMARY KEY (role, right_name)
);
