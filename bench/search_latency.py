"""People search latency through the HTTP API, one request at a time, p50 and p99 over 500
requests of each kind. Names are drawn from the database; phones and ID numbers are sealed
there, so they are drawn from a named export of a few communities (the audited way to read
them whole)."""
import csv, io, json, random, sqlite3, statistics, sys, time, urllib.request, urllib.parse

base, token, db = sys.argv[1], sys.argv[2], sys.argv[3]
con = sqlite3.connect(db)
names = [r[0] for r in con.execute("SELECT name FROM people WHERE rowid % 7001 = 0").fetchall()]
communities = [r[0] for r in con.execute(
    "SELECT code FROM areas WHERE level = 'community' AND residents > 500 ORDER BY code LIMIT 3")]
random.seed(1)

def get(path):
    req = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req) as r:
        return r.read()

known = []
for code in communities:
    text = get(f"/api/v1/exports?list=people&format=csv&area={code}").decode("utf-8-sig")
    for row in csv.DictReader(io.StringIO(text)):
        known.append(row)
phone_col = next(k for k in known[0] if "phone" in k.lower() or "电话" in k)
id_col = next(k for k in known[0] if "id_number" in k.lower() or "身份证" in k)
phones = [r[phone_col] for r in known if r[phone_col]]
ids = [r[id_col] for r in known if r[id_col]]

def timed(q):
    t = time.perf_counter()
    body = json.loads(get(f"/api/v1/people?q={urllib.parse.quote(q)}&limit=50"))
    return (time.perf_counter() - t) * 1000, len(body["people"])

for kind, pool, make in [("name prefix (surname + first character)", names, lambda n: n[:2]),
                         ("surname only", names, lambda n: n[:1]),
                         ("whole phone (blind index)", phones, lambda p: p),
                         ("ID number (blind index)", ids, lambda i: i)]:
    for v in pool[:20]:
        timed(make(v))  # warm-up
    samples = [timed(make(random.choice(pool))) for _ in range(500)]
    ms = sorted(s[0] for s in samples)
    print(f"{kind:<40} p50 {statistics.median(ms):6.2f} ms   p99 {ms[int(len(ms) * 0.99) - 1]:6.2f} ms   "
          f"mean hits {statistics.mean(s[1] for s in samples):.1f}")
