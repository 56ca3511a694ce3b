"""People search latency through the HTTP API: name prefixes and phone prefixes drawn from the
database, one request at a time, p50 and p99 over 500 requests of each kind."""
import json, random, sqlite3, statistics, sys, time, urllib.request, urllib.parse

base, token, db = sys.argv[1], sys.argv[2], sys.argv[3]
con = sqlite3.connect(db)
rows = con.execute("SELECT name, phone FROM people WHERE rowid % 7001 = 0 AND phone IS NOT NULL").fetchall()
random.seed(1)

def timed(q):
    req = urllib.request.Request(f"{base}/api/v1/people?q={urllib.parse.quote(q)}&limit=50",
                                 headers={"Authorization": f"Bearer {token}"})
    t = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        body = json.load(r)
    return (time.perf_counter() - t) * 1000, len(body["people"])

for kind, make in [("name prefix (surname + first character)", lambda r: r[0][:2]),
                   ("surname only", lambda r: r[0][:1]),
                   ("phone, first 7 digits", lambda r: r[1][:7]),
                   ("full phone", lambda r: r[1])]:
    for r in rows[:20]:
        timed(make(r))  # warm-up
    samples = [timed(make(random.choice(rows))) for _ in range(500)]
    ms = sorted(s[0] for s in samples)
    print(f"{kind:<40} p50 {statistics.median(ms):6.2f} ms   p99 {ms[int(len(ms) * 0.99) - 1]:6.2f} ms   "
          f"mean hits {statistics.mean(s[1] for s in samples):.1f}")
