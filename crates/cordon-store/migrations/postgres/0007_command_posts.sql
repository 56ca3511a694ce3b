-- 现场指挥部: a temporary command post for a compound, with its temporary party branch
-- (临时党支部). Its team is the compound's assignments, each with its title.
CREATE TABLE command_posts (
    id          BIGSERIAL PRIMARY KEY,
    area_code   TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES areas (code),
    path        TEXT COLLATE "C" NOT NULL,
    name        TEXT NOT NULL,
    branch      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX command_posts_path ON command_posts (path);
