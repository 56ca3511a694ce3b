-- 报到 from one's own phone: a sign-in linked to the worker record it is (one sign-in a worker),
-- and the worker's shifts — on duty from reporting in until they go off, at most one open at a
-- time — so the rest the profile asks for can be kept and seen.
ALTER TABLE users ADD COLUMN worker_id TEXT REFERENCES workers (worker_id);
CREATE UNIQUE INDEX users_worker ON users (worker_id) WHERE worker_id IS NOT NULL;

CREATE TABLE worker_shifts (
    id             BIGSERIAL PRIMARY KEY,
    worker_id      TEXT NOT NULL REFERENCES workers (worker_id),
    community_code TEXT NOT NULL REFERENCES areas (code),
    started_at     TIMESTAMPTZ NOT NULL,
    ended_at       TIMESTAMPTZ,
    recorded_by    TEXT NOT NULL
);
CREATE INDEX worker_shifts_worker ON worker_shifts (worker_id, started_at);
CREATE UNIQUE INDEX worker_shifts_open ON worker_shifts (worker_id) WHERE ended_at IS NULL;
