#!/usr/bin/env bash
# Benchmark of the gallery backends (hat-gallery bench-store), both in the same run: sighting
# write throughput with 1, 4 and 8 writer processes, and the latency from one process's commit
# to another process reading it (hatmatch's default 500 ms poll; PostgreSQL also notifies), for
# an SQLite file and a throw-away PostgreSQL cluster on a loopback port (initdb into a temporary
# folder, removed at the end). Results: runs/bench-scale/{sqlite,postgresql}.json.
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/bench-scale
mkdir -p "$out"
tool=build/gallery/hat-gallery
seconds=${SECONDS_PER_POINT:-1}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d /tmp/hat-bench-pg-XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; as_pg=(runuser -u postgres --); fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
# Durable like a production server (fsync on), unlike the tests' cluster.
"${as_pg[@]}" "$bin/initdb" -U bench --auth=trust -D "$dir/data" >"$dir/initdb.log"
"${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
"${as_pg[@]}" "$bin/createdb" -h "$dir" -p "$port" -U bench gallery

echo "== SQLite file"
rm -f "$out/bench.db"*
$tool bench-store --gallery "$out/bench.db" --seconds "$seconds" --json "$out/sqlite.json"
python3 - "$out/bench.db" >"$out/size.txt" <<'PY'
import os, sqlite3, sys
path = sys.argv[1]
db = sqlite3.connect(path)
rows = db.execute("SELECT count(*) FROM sightings").fetchone()[0]
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL's pages into the file, as at rest
size = os.path.getsize(path)
print(f"SQLite: {rows} sightings, {size} B, {size / rows:.0f} B per sighting (the whole file)")
PY
rm -f "$out/bench.db"*
echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
$tool bench-store --gallery "postgresql://bench@127.0.0.1:$port/gallery" --seconds "$seconds" \
  --json "$out/postgresql.json"
"${as_pg[@]}" "$bin/psql" -h "$dir" -p "$port" -U bench -d gallery -At -F ' ' -c "CHECKPOINT" -c \
  "SELECT count(*), pg_total_relation_size('hat_sightings'), pg_database_size('gallery') FROM hat_sightings" |
  awk 'NF == 3 { printf "PostgreSQL: %d sightings, %d B per sighting (table, indexes, TOAST), %d B per sighting (the whole database)\n", $1, $2 / $1, $3 / $1 }' \
  >>"$out/size.txt"
cat "$out/size.txt"
