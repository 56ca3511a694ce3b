#!/usr/bin/env bash
# Stops the local Citus cluster that scripts/citus-up.sh started; its data stays in DIR.
#   scripts/citus-down.sh [DIR]      DIR defaults to /tmp/cordon-citus
set -euo pipefail
dir="${1:-/tmp/cordon-citus}"
pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
for data in "$dir"/worker* "$dir"/coordinator; do
    [ -f "$data/PG_VERSION" ] || continue
    as_pg "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    echo "citus-down: stopped $(basename "$data")" >&2
done
