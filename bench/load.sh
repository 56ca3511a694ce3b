#!/usr/bin/env bash
# A load test from a second process: wrk sends the mix of bench/load.lua (gate decisions,
# notes on requests, searches, person reads, the dashboard) over keep-alive connections to
# `cordon serve` for a stated time, and reports throughput, latency percentiles and errors.
#
#   bench/load.sh DB_URL [CONNECTIONS] [SECONDS]
# DB_URL is a demo database (`cordon demo --no-serve --db DB_URL`); a release build is used.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?a demo database URL}
conns=${2:-200}
secs=${3:-180}
bin=${CORDON_BIN:-target/release/cordon}
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
export CORDON_LOG=warn

printf 'load-test-password-42\n' | "$bin" user passwd admin --password-stdin --db "$db" >/dev/null
"$bin" serve --db "$db" --listen 127.0.0.1:0 2> "$dir/server.log" &
server=$!
for _ in $(seq 1 60); do
  base=$(sed -n 's|^Cordon is serving on \(http://[^/]*\)/.*|\1|p' "$dir/server.log")
  [ -n "$base" ] && break
  sleep 1
done
token=$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"load-test-password-42"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# The lists the mix draws from, read through the API like any client.
python3 - "$base" "$token" > "$dir/data.lua" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(req))
gates = [g["id"] for g in get("/api/v1/gates")]
needs = [n["id"] for n in get("/api/v1/needs?limit=500") if n["status"] != "resolved"]
# Residents of the story's compound and of its neighbours: the households under 公主府社区.
people = []
def walk(code, depth):
    a = get(f"/api/v1/areas/{code}")
    if a["area"]["level"] == "household":
        people.extend(p["person_id"] for p in get(f"/api/v1/people?household={code}")["people"])
        return
    for c in a["children"][:6]:
        if len(people) < 2000:
            walk(c["code"], depth + 1)
walk("150102001001", 0)
names = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
lua = lambda xs: "{" + ",".join(json.dumps(str(x)) for x in xs) + "}"
print(f"TOKEN = {json.dumps(token)}")
print(f"GATES = {lua(gates)}")
print(f"NEEDS = {lua(needs)}")
print(f"PEOPLE = {lua(people)}")
print("NAMES = {" + ",".join('"' + urllib.parse.quote(n) + '"' for n in names) + "}")
print(f"-- {len(gates)} gates, {len(needs)} open needs, {len(people)} people", file=sys.stderr)
PY
echo "server: $base  mix: bench/load.lua  connections: $conns  seconds: $secs  backend: ${db%%:*}"
CORDON_LOAD_DATA="$dir/data.lua" wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s --latency \
  -s bench/load.lua "$base"
echo "server RSS: $(ps -o rss= -p "$server") KB"
if grep -q "panicked" "$dir/server.log"; then echo "the server panicked"; exit 1; fi
