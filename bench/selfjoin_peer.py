"""The full self-join of venue scans in DuckDB: every pair of scans at one venue no more than
W minutes apart, each pair once. The peer of the self-join line of `cordon bench trace`.

    /tmp/peer/bin/python bench/selfjoin_peer.py --scans /tmp/d/scans.parquet [--window 30]
"""
import argparse
import time

import duckdb

p = argparse.ArgumentParser()
p.add_argument("--scans", required=True)
p.add_argument("--window", type=int, default=30)
a = p.parse_args()
con = duckdb.connect()
t = time.time()
con.execute(
    "CREATE TABLE s AS SELECT row_number() OVER () AS id, venue_id, epoch_us(scanned_at) AS t "
    f"FROM read_parquet('{a.scans}')"
)
load = time.time() - t
t = time.time()
w = a.window * 60_000_000
# As a window per venue over time: for each scan, the scans in [t, t + W] less itself. That
# counts a pair of equal times twice, so the pairs within each group of equal times are taken
# off once. (A plain join on the venue with the window as a filter ran past 200 s here, and so
# did DuckDB's band join.)
(pairs,) = con.execute(
    f"""
    WITH w AS (
        SELECT count(*) OVER (PARTITION BY venue_id ORDER BY t RANGE BETWEEN CURRENT ROW AND {w} FOLLOWING) - 1 AS n
        FROM s
    ), ties AS (
        SELECT count(*) AS g FROM s GROUP BY venue_id, t HAVING count(*) > 1
    )
    SELECT (SELECT sum(n) FROM w) - coalesce((SELECT sum(g * (g - 1) / 2) FROM ties), 0)
    """
).fetchone()
print(f"duckdb {duckdb.__version__}: {pairs} pairs within {a.window} minutes; load {load:.2f}s join {time.time() - t:.2f}s")
