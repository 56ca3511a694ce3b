#!/usr/bin/env bash
# Fuzzes the file parsers (fuzz/: cargo fuzz with libFuzzer) for SECONDS each (default 60):
#   import  every reader of `cordon import` (areas CSV and GeoJSON, people, samples, results,
#           venues, workers; UTF-8 and GB18030 told apart) on arbitrary files
#   scans   the venue-code scans (CSV and Parquet) and the cases of `cordon trace`
#   pass    a pass's QR payload and a gate device's public key
# The corpus starts from tests/hostile and a few good files, and grows under target/fuzz/.
# A crash stops the run with its input saved under fuzz/artifacts/ (exit status 1).
# cargo-fuzz is installed (pinned) under target/ if it is not on the PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
version=0.13.2
fuzz=$(command -v cargo-fuzz || true)
if [ -z "$fuzz" ] || ! "$fuzz" --version | grep -q "$version"; then
  cargo install -q --locked --root target/cargo-fuzz "cargo-fuzz@$version" >&2
  fuzz=$PWD/target/cargo-fuzz/bin/cargo-fuzz
fi
corpus=target/fuzz/corpus
mkdir -p "$corpus/import" "$corpus/scans" "$corpus/pass"

# Seeds: the hostile corpus for every reader (the first byte picks it), and good files.
good=$(mktemp -d)
trap 'rm -rf "$good"' EXIT
printf 'code,parent_code,level,name\n150100,,city,呼和浩特市\n150102,150100,district,新城区\n' > "$good/areas.csv"
printf '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"150102","parent_code":"150100","level":"district","name":"新城区"},"geometry":{"type":"Polygon","coordinates":[[[111.6,40.8],[111.7,40.8],[111.7,40.9],[111.6,40.8]]]}}]}' > "$good/areas.geojson"
printf 'person_id,name,id_number,phone,birth_year,sex,household_code,tags\nP1,王芳,150102199001011234,13800000000,1990,F,150102001001001001,dialysis;elderly_alone\n' > "$good/people.csv"
printf 'tube_id,person_id,collected_at,round_id,site\nT1,P1,2022-02-17T16:30:00+08:00,R1,公主府\nT1,P2,2022-02-17 16:31:00,R1,公主府\n' > "$good/samples.csv"
printf 'tube_id,result,reported_at,lab\nT1,positive,2022-02-18T02:00:00+08:00,金域\n' > "$good/results.csv"
printf 'venue_id,name,area_code,kind\nV1,万达广场,150102001,mall\n' > "$good/venues.csv"
printf 'worker_id,name,phone,organisation,party_member,rank\nW1,李强,13900000000,市直机关,true,科员\n' > "$good/workers.csv"
printf 'person_id,venue_id,scanned_at\nP1,V1,2022-02-17T16:30:00+08:00\nP2,V1,2022-02-17 16:35:00\n' > "$good/scans.csv"
printf 'person_id,infectious_from,isolated_at\nP1,2022-02-15T00:00:00+08:00,\n' > "$good/cases.csv"
seed() { # seed TARGET PICK FILE
  { printf "\\x$(printf %02x "$2")"; cat "$3"; } > "$corpus/$1/seed-$2-$(basename "$3")"
}
for f in tests/hostile/*.csv tests/hostile/*.geojson; do
  for pick in 0 1 2 3 4 5 6; do seed import "$pick" "$f"; done
done
seed import 0 "$good/areas.csv"; seed import 1 "$good/areas.geojson"; seed import 2 "$good/people.csv"
seed import 3 "$good/samples.csv"; seed import 4 "$good/results.csv"; seed import 5 "$good/venues.csv"
seed import 6 "$good/workers.csv"
seed scans 0 "$good/scans.csv"; seed scans 1 "$good/cases.csv"
for f in tests/hostile/*.parquet; do seed scans 2 "$f"; done
printf 'CP1.eyJwIjoiUDEifQ.AAAA' > "$corpus/pass/seed-malformed"

status=0
for target in import scans pass; do
  echo "== fuzzing $target for $seconds s" >&2
  log=target/fuzz/$target.log
  # Stable Rust: libFuzzer's coverage flags need no nightly, the sanitizer does (none here).
  RUSTC_BOOTSTRAP=1 "$fuzz" run --fuzz-dir fuzz --sanitizer none "$target" "$corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 > "$log" 2>&1 \
    || { status=1; echo "fuzzing $target FAILED (its log: $log):" >&2; tail -40 "$log" >&2; continue; }
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)" "$log" >&2 || true
done
exit $status
