-- 用户管理: sign-ins managed in the product. A disabled user keeps their row (the audit names
-- them) but cannot sign in, and their sessions are gone. Every change to a user — made, role,
-- areas, name, disabled or enabled, password reset — is kept with who made it, when and why.
ALTER TABLE users ADD COLUMN disabled_at TEXT;
CREATE TABLE user_changes (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    by_user      TEXT NOT NULL,
    username     TEXT NOT NULL,
    change       TEXT NOT NULL,
    before_value TEXT,
    after_value  TEXT,
    reason       TEXT
);
CREATE INDEX user_changes_user ON user_changes (username, id);
