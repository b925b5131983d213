#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster: initdb in a temporary folder, start on a
# loopback port, export LINEAGE_TEST_DATABASE_URL, run the command, stop and remove the cluster.
# Needs Debian's postgresql package (.ci/run installs it). As root, the server runs as `postgres`.
set -euo pipefail
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pgbin" ]; then
  echo "with-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 2
fi
dir=$(mktemp -d /tmp/lineage-pg.XXXXXX)
port=${LINEAGE_PG_PORT:-$((20000 + RANDOM % 20000))}
run=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  run=(runuser -u postgres --)
fi
cleanup() {
  "${run[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${run[@]}" "$pgbin/initdb" -D "$dir/data" -A trust -U lineage --no-sync >/dev/null
"${run[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
export LINEAGE_TEST_DATABASE_URL="postgres://lineage@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
"$@"
