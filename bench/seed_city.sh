#!/usr/bin/env bash
# Benchmark: `cordon demo --scale city` (3.5 M residents) against the bare `sqlite3 .import` of
# the same people rows into an unindexed table, in the same run; then people search through
# the HTTP API (p50/p99) and the server's resident memory.
#
#   bench/seed_city.sh [OUT_DIR]        (needs a release build: cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/cordon-bench}
rm -rf "$out" && mkdir -p "$out"
bin=target/release/cordon

echo "== cordon demo --scale city (generate, validate, load, index, count)"
/usr/bin/time -f "%e s wall, %M KB peak RSS" "$bin" demo --scale city --no-serve --db "sqlite://$out/city.db" \
  --admin-password bench-password-1 2>&1 | grep -E "seeded|generating |wall|residents"

echo "== the same people rows, bare: sqlite3 .import into an unindexed table"
# The sealed columns as hex: the bare load writes as many bytes of them as Cordon does, as text.
sqlite3 -csv "$out/city.db" "SELECT person_id, name, hex(id_sealed), hex(id_index), hex(phone_sealed), hex(phone_index), birth_year, sex, household_code, tags, vulnerable, district_code, path FROM people" > "$out/people.csv"
wc -l < "$out/people.csv"
sqlite3 "$out/bare.db" "CREATE TABLE people (person_id TEXT, name TEXT, id_sealed TEXT, id_index TEXT, phone_sealed TEXT, phone_index TEXT, birth_year INTEGER, sex TEXT, household_code TEXT, tags TEXT, vulnerable INTEGER, district_code TEXT, path TEXT)"
/usr/bin/time -f "%e s wall" sqlite3 "$out/bare.db" ".mode csv" ".import $out/people.csv people" 2>&1

echo "== people search through the HTTP API"
"$bin" serve --db "sqlite://$out/city.db" --listen 127.0.0.1:18080 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.2; done
token=$(curl -sf http://127.0.0.1:18080/api/v1/auth/login -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-password-1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
python3 bench/search_latency.py http://127.0.0.1:18080 "$token" "$out/city.db"
echo "server RSS: $(ps -o rss= -p $server) KB"
