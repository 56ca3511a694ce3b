#!/usr/bin/env bash
# API fuzzing: schemathesis generates requests from /api/openapi.json against a freshly seeded
# tiny demo, signed in as headquarters. Fails on any 5xx, and on any response that does not
# match the document (status, content type, body schema), and on any operation that answers
# without the token as it does with it.
#
#   tests/fuzz/api.sh BINARY [SCHEMATHESIS] [MAX_EXAMPLES]
set -euo pipefail
bin=$(realpath "${1:?the cordon binary}")
st=${2:-st}
examples=${3:-25}
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT

password=fuzz-password-42
"$bin" demo --scale tiny --history-days 0 --admin-password "$password" --listen 127.0.0.1:0 \
  --db "sqlite://$dir/fuzz.db" 2> "$dir/server.log" > /dev/null &
server=$!
for _ in $(seq 1 120); do
  base=$(sed -n 's|^Cordon is serving on \(http://[^/]*\)/.*|\1|p' "$dir/server.log")
  [ -n "$base" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$dir/server.log"; exit 1; }
  sleep 1
done
[ -n "$base" ] || { echo "the server did not start"; cat "$dir/server.log"; exit 1; }

token=$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# Signing out would end the session the rest of the run uses. Run from the temporary folder:
# schemathesis keeps its caches in the working directory.
status=0
cd "$dir"
"$st" run "$base/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth \
  --exclude-path /api/v1/auth/logout \
  --phases examples,coverage,fuzzing \
  --max-examples "$examples" \
  --workers 2 \
  --request-timeout 30 \
  --suppress-health-check all \
  || status=$?
if grep -q "panicked" "$dir/server.log"; then
  echo "the server panicked:"; grep -A3 "panicked" "$dir/server.log"; status=1
fi
kill -0 "$server" 2>/dev/null || { echo "the server died"; status=1; }
exit "$status"
