#!/usr/bin/env python3
"""The peer of `cordon bench zones`: the same job in SQL, on the same data.

    cordon bench zones --export /tmp/zb          # writes households.csv and zones.csv
    python3 bench/zones_peer.py /tmp/zb          # SQLite (and DuckDB, when importable)

Each household's effective tier is the strictest zone whose area contains it (a path-prefix
range join), summed by tier. Only the query is timed, after loading and indexing.
"""
import csv
import sqlite3
import sys
import time
from pathlib import Path

STRICT = {"sealed": 3, "controlled": 2, "precaution": 1}
NAMES = {v: k for k, v in STRICT.items()}
QUERY = """
SELECT strict, sum(residents) FROM (
  SELECT h.path, h.residents, max(z.strict) AS strict
  FROM z JOIN h ON h.path >= z.path AND h.path < z.hi
  GROUP BY h.path, h.residents
) GROUP BY strict ORDER BY strict DESC
"""


def rows(d):
    with open(d / "households.csv", newline="") as f:
        hs = [(r["path"], int(r["residents"])) for r in csv.DictReader(f)]
    with open(d / "zones.csv", newline="") as f:
        zs = [(r["path"], r["path"][:-1] + "0", STRICT[r["tier"]]) for r in csv.DictReader(f)]
    return hs, zs


def report(engine, seconds, result):
    figures = ", ".join(f"{NAMES[s]} {n}" for s, n in result)
    print(f"{engine:<8} {seconds * 1e3:8.1f} ms   {figures}")


def sqlite(hs, zs):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE h (path TEXT PRIMARY KEY, residents INTEGER) WITHOUT ROWID")
    db.execute("CREATE TABLE z (path TEXT, hi TEXT, strict INTEGER)")
    db.executemany("INSERT INTO h VALUES (?, ?)", hs)
    db.executemany("INSERT INTO z VALUES (?, ?, ?)", zs)
    db.execute("ANALYZE")
    best = None
    for _ in range(3):
        t = time.perf_counter()
        result = db.execute(QUERY).fetchall()
        best = min(best or 1e9, time.perf_counter() - t)
    report("sqlite", best, result)


def duckdb(hs, zs):
    try:
        import duckdb  # noqa: PLC0415
    except ImportError:
        print("duckdb   (not installed: pip install duckdb to compare)")
        return
    db = duckdb.connect()
    db.execute("CREATE TABLE h (path VARCHAR, residents BIGINT)")
    db.execute("CREATE TABLE z (path VARCHAR, hi VARCHAR, strict INTEGER)")
    db.execute("INSERT INTO h SELECT path, residents FROM read_csv(?, header = true, "
               "columns = {'path': 'VARCHAR', 'residents': 'BIGINT'})", [str(ARGS_DIR / "households.csv")])
    db.executemany("INSERT INTO z VALUES (?, ?, ?)", zs)
    best = None
    for _ in range(3):
        t = time.perf_counter()
        result = db.execute(QUERY).fetchall()
        best = min(best or 1e9, time.perf_counter() - t)
    report("duckdb", best, result)


if __name__ == "__main__":
    ARGS_DIR = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/zb")
    hs, zs = rows(ARGS_DIR)
    print(f"{len(hs)} households, {sum(n for _, n in hs)} residents, {len(zs)} zones")
    sqlite(hs, zs)
    duckdb(hs, zs)
