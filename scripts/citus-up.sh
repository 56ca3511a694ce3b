#!/usr/bin/env bash
# A local Citus cluster in one command: a coordinator and two workers, each its own
# PostgreSQL 15 instance on a local port, with Citus built from ../shared/vendor when it is
# not installed yet. Idempotent: run it again and it starts what is stopped and re-registers
# nothing it already has. The last line it prints is the coordinator's URL.
#
#   scripts/citus-up.sh [DIR]        DIR defaults to /tmp/cordon-citus
#   CITUS_PORT=9700                  the coordinator's port; the workers take the next ones
#   CITUS_WORKERS=2                  how many workers
#   CITUS_VENDOR=../shared/vendor    where the tarball and its patch are
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-/tmp/cordon-citus}"
port="${CITUS_PORT:-9700}"
workers="${CITUS_WORKERS:-2}"
vendor="${CITUS_VENDOR:-$here/../shared/vendor}"
version=13.2.2
pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
pgconfig="$pgbin/pg_config"
[ -x "$pgconfig" ] || pgconfig="$(command -v pg_config || true)"

say() { echo "citus-up: $*" >&2; }

# PostgreSQL refuses to run as root: the instances belong to the postgres user.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_citus() {
    if [ -n "$pgconfig" ] && [ -f "$("$pgconfig" --pkglibdir)/citus.so" ]; then
        return
    fi
    say "Citus is not installed: building $version from $vendor (about 10 minutes on 2 cores)"
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -q postgresql-server-dev-15 liblz4-dev libzstd-dev libkrb5-dev >&2
    else
        sudo apt-get install -y -q postgresql-server-dev-15 liblz4-dev libzstd-dev libkrb5-dev >&2
    fi
    pgconfig="$pgbin/pg_config"
    local build="$dir/build"
    rm -rf "$build" && mkdir -p "$build"
    tar xzf "$vendor/citus-$version.tar.gz" -C "$build"
    local src
    src="$(ls -d "$build"/citus-* | head -1)"
    # PostgreSQL 15.20 exports have_createdb_privilege(), which Citus 13.2.2 defines too;
    # the patch renames Citus's copy (and is harmless on earlier minors).
    (cd "$src" && patch -p1 --forward < "$vendor/citus-$version-pg15.20.patch" >&2)
    (cd "$src" && ./configure --without-libcurl PG_CONFIG="$pgconfig" >&2 &&
        make -j"$(nproc)" with_llvm=no >&2 && make install with_llvm=no >&2)
    [ -f "$("$pgconfig" --pkglibdir)/citus.so" ] || { say "the build did not install citus.so"; exit 1; }
}

start_node() {
    local name="$1" p="$2" data="$dir/$1"
    if [ ! -f "$data/PG_VERSION" ]; then
        mkdir -p "$data"
        [ "$(id -u)" = 0 ] && chown postgres: "$dir" "$data"
        as_pg "$pgbin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$data/postgresql.conf" <<CONF
# cordon: a local Citus node
shared_preload_libraries = 'citus'
listen_addresses = '127.0.0.1'
port = $p
unix_socket_directories = '$data'
# Each test's server holds a pool of 16, and the coordinator opens connections to itself and to
# every worker for them.
max_connections = 1000
# Citus runs a maintenance worker for each database it is used in: a test run makes hundreds.
max_worker_processes = 256
shared_buffers = 256MB
max_wal_size = 4GB
# Shards move to a new worker by logical replication, the tables writable meanwhile.
wal_level = logical
fsync = on
citus.enable_create_database_propagation = on
# Shards a distributed table is cut into: a few per worker core on this laptop-sized cluster
# (Citus's default, 32, suits a cluster of real servers).
citus.shard_count = ${CITUS_SHARDS:-8}
CONF
    fi
    if ! as_pg "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_pg "$pgbin/pg_ctl" -D "$data" -l "$data/log" -w -t 60 start >/dev/null ||
            { say "$name did not start; its log:"; tail -20 "$data/log" >&2; exit 1; }
    fi
    psql_at "$p" -c 'CREATE EXTENSION IF NOT EXISTS citus' >/dev/null 2>&1
}

psql_at() {
    local p="$1"; shift
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$p" -U postgres -d postgres -At "$@"
}

mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
install_citus
# Every node up first: registering one makes the coordinator talk to the others.
start_node coordinator "$port"
for i in $(seq 1 "$workers"); do start_node "worker$i" $((port + i)); done
if [ "$(psql_at "$port" -c 'SELECT count(*) FROM pg_dist_node WHERE groupid = 0')" = 0 ]; then
    psql_at "$port" -c "SELECT citus_set_coordinator_host('127.0.0.1', $port)" >/dev/null
fi
for i in $(seq 1 "$workers"); do
    wp=$((port + i))
    known="$(psql_at "$port" -c "SELECT count(*) FROM pg_dist_node WHERE nodeport = $wp")"
    if [ "$known" = 0 ]; then psql_at "$port" -c "SELECT citus_add_node('127.0.0.1', $wp)" >/dev/null; fi
done
say "workers: $(psql_at "$port" -c "SELECT string_agg(nodename || ':' || nodeport, ', ') FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0")"
echo "postgres://postgres@127.0.0.1:$port/postgres"
