-- 保供: distribution points and their stocks, distribution rounds and their deliveries. A
-- point's stock is the sum of its moves, kept on supply_stock in the transaction of each move
-- (a CHECK keeps it from going below zero); a round writes one delivery a household of its
-- area, sized by the household's members, in the transaction that takes its packages out of
-- the point's stock. path is the household's, so every list is scoped by an index range.
CREATE TABLE supply_points (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    area_code   TEXT NOT NULL REFERENCES areas (code),
    path        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX supply_points_path ON supply_points (path);

CREATE TABLE supply_stock (
    point_id    TEXT NOT NULL REFERENCES supply_points (id),
    item        TEXT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (point_id, item)
);

CREATE TABLE supply_moves (
    id          INTEGER PRIMARY KEY,
    point_id    TEXT NOT NULL REFERENCES supply_points (id),
    item        TEXT NOT NULL,
    quantity    INTEGER NOT NULL,       -- in: positive; out: negative
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL,
    by_user     TEXT NOT NULL
);
CREATE INDEX supply_moves_point ON supply_moves (point_id, at);

CREATE TABLE distributions (
    id          INTEGER PRIMARY KEY,
    area_code   TEXT NOT NULL REFERENCES areas (code),
    path        TEXT NOT NULL,
    point_id    TEXT NOT NULL REFERENCES supply_points (id),
    item        TEXT NOT NULL,
    households  INTEGER NOT NULL,
    packages    INTEGER NOT NULL,
    note        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX distributions_path ON distributions (path, created_at);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    distribution_id INTEGER NOT NULL REFERENCES distributions (id),
    household_code  TEXT NOT NULL,                -- from people, in the statement that writes it
    path            TEXT NOT NULL,
    members         INTEGER NOT NULL,
    packages        INTEGER NOT NULL,
    vulnerable      INTEGER NOT NULL,       -- 1 when someone in it is flagged: delivered first
    outcome         TEXT,                   -- delivered, refused, nobody_home; NULL: not tried
    outcome_at      TEXT,
    outcome_by      TEXT,
    note            TEXT NOT NULL DEFAULT '',
    UNIQUE (distribution_id, household_code)
);
CREATE INDEX deliveries_round ON deliveries (distribution_id, path);
-- What reached a household: the overdue board's question.
CREATE INDEX deliveries_household ON deliveries (household_code, outcome_at) WHERE outcome = 'delivered';
CREATE INDEX deliveries_open ON deliveries (path) WHERE outcome IS NULL OR outcome = 'nobody_home';
