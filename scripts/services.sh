#!/usr/bin/env bash
# Provisions the services Switchboard needs, idempotently, on a fresh Debian machine:
#   Redis (Debian's redis-server)   on 127.0.0.1:$SWITCHBOARD_REDIS_PORT (6390), data in var/redis
#   FerretDB 1.24.2                  on 127.0.0.1:$SWITCHBOARD_MONGO_PORT (27027), with its
#   PostgreSQL backend: Debian's postgresql on 127.0.0.1:$SWITCHBOARD_PG_PORT (6432), data in var/postgres
#   (FerretDB's SQLite backend was measured and dropped: its updates do not use the _id index, so
#   every update scans the collection; see the README.)
# REDIS_URL / MONGODB_URL, when set, are used instead and nothing is started for them.
#
#   bash scripts/services.sh start [--for-tests]   install what is missing, start, wait until ready
#   bash scripts/services.sh stop                  stop what this script started
#   bash scripts/services.sh status
#   bash scripts/services.sh env                   REDIS_URL=… and MONGODB_URL=… lines
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VAR="$ROOT/var"
REDIS_PORT="${SWITCHBOARD_REDIS_PORT:-6390}"
MONGO_PORT="${SWITCHBOARD_MONGO_PORT:-27027}"
PG_PORT="${SWITCHBOARD_PG_PORT:-6432}"
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT"
FERRETDB_VERSION="v1.24.2"
FERRETDB_BIN="$VAR/bin/ferretdb"
say() { echo "[services] $*" >&2; }
die() { echo "[services] ERROR: $*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_port() { # port name seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do port_open "$1" && return 0; sleep 0.1; done
  die "$2 did not answer on 127.0.0.1:$1 within $3 s (see $VAR/log/)"
}

APT_UPDATED=0
apt_install() { # packages...
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    die "missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]}), or set REDIS_URL/MONGODB_URL to servers you already run"
  fi
  say "installing ${missing[*]} with apt-get"
  if [ $APT_UPDATED -eq 0 ]; then DEBIAN_FRONTEND=noninteractive timeout 600 apt-get update -qq >&2; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

start_redis() {
  if [ -n "${REDIS_URL:-}" ]; then say "Redis: using REDIS_URL"; return; fi
  local pidfile="$VAR/run/redis.pid"
  if pid_alive "$pidfile" && port_open "$REDIS_PORT"; then say "Redis: already running on 127.0.0.1:$REDIS_PORT"; return; fi
  port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by another program; set SWITCHBOARD_REDIS_PORT to a free port, or REDIS_URL to an existing Redis 6+ with maxmemory-policy noeviction"
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p "$VAR/redis" "$VAR/run" "$VAR/log"
  say "Redis: starting on 127.0.0.1:$REDIS_PORT (AOF on, maxmemory-policy noeviction, data in var/redis)"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
    --dir "$VAR/redis" --appendonly yes --appendfsync everysec --save "" \
    --maxmemory-policy noeviction --daemonize yes --pidfile "$pidfile" --logfile "$VAR/log/redis.log" >&2
  wait_port "$REDIS_PORT" Redis 20
}

# go install of FerretDB 1.24.2 builds a binary that panics at start ("Invalid
# build/version/version.txt"): the module zip lacks the generated version file. So the module's
# source is copied from the Go module cache, version.txt is written, and it is built from there.
build_ferretdb() {
  if [ -x "$FERRETDB_BIN" ] && "$FERRETDB_BIN" --version 2>/dev/null | grep -q "$FERRETDB_VERSION"; then return; fi
  command -v go >/dev/null || die "Go is needed once to build FerretDB $FERRETDB_VERSION (install Go 1.22+), or set MONGODB_URL to an existing MongoDB 6+ / FerretDB"
  say "FerretDB: building $FERRETDB_VERSION once into var/bin (a few minutes the first time)"
  local dir src
  dir="$(GOFLAGS=-mod=mod timeout 900 go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [ -d "$dir" ] || die "could not download the FerretDB $FERRETDB_VERSION module with go mod download"
  src="$(mktemp -d)"
  cp -r "$dir/." "$src/" && chmod -R u+w "$src"
  echo "$FERRETDB_VERSION" > "$src/build/version/version.txt"
  mkdir -p "$VAR/bin"
  (cd "$src" && CGO_ENABLED=0 timeout 1200 go build -trimpath -o "$FERRETDB_BIN" ./cmd/ferretdb) >&2 || die "FerretDB build failed"
  rm -rf "$src"
}

# PostgreSQL runs as the postgres user when we are root (it refuses root), as ourselves otherwise.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

start_postgres() {
  if port_open "$PG_PORT" && [ -f "$VAR/postgres/data/postmaster.pid" ]; then say "PostgreSQL: already running on 127.0.0.1:$PG_PORT"; return; fi
  port_open "$PG_PORT" && die "port $PG_PORT is taken by another program; set SWITCHBOARD_PG_PORT to a free port, or MONGODB_URL to an existing MongoDB 6+"
  [ -n "$(pg_bin)" ] || apt_install postgresql
  local bin; bin="$(pg_bin)"
  mkdir -p "$VAR/postgres" "$VAR/log"
  if [ ! -f "$VAR/postgres/data/PG_VERSION" ]; then
    say "PostgreSQL: creating a cluster in var/postgres (trust auth, loopback only)"
    [ "$(id -u)" -eq 0 ] && chown postgres "$VAR/postgres"
    as_pg "$bin/initdb" -D "$VAR/postgres/data" -A trust -U postgres >/dev/null
  fi
  [ "$(id -u)" -eq 0 ] && chown postgres "$VAR/postgres" && touch "$VAR/log/postgres.log" && chown postgres "$VAR/log/postgres.log"
  say "PostgreSQL: starting on 127.0.0.1:$PG_PORT"
  as_pg "$bin/pg_ctl" -D "$VAR/postgres/data" -l "$VAR/log/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $VAR/postgres -c max_connections=300" start >/dev/null
  if ! "$bin/psql" "$PG_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='ferretdb'" | grep -q 1; then
    "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres ferretdb
  fi
}

start_ferretdb() {
  if [ -n "${MONGODB_URL:-}" ]; then say "MongoDB wire: using MONGODB_URL"; return; fi
  local pidfile="$VAR/run/ferretdb.pid"
  if pid_alive "$pidfile" && port_open "$MONGO_PORT"; then say "FerretDB: already running on 127.0.0.1:$MONGO_PORT"; return; fi
  port_open "$MONGO_PORT" && die "port $MONGO_PORT is taken by another program; set SWITCHBOARD_MONGO_PORT to a free port, or MONGODB_URL to an existing MongoDB 6+"
  build_ferretdb
  start_postgres
  mkdir -p "$VAR/ferretdb" "$VAR/run" "$VAR/log"
  say "FerretDB: starting $FERRETDB_VERSION (PostgreSQL backend) on 127.0.0.1:$MONGO_PORT"
  nohup "$FERRETDB_BIN" --handler=postgresql --postgresql-url="$PG_URL/ferretdb" \
    --listen-addr="127.0.0.1:$MONGO_PORT" --debug-addr=- --telemetry=disable --log-level=warn \
    --state-dir="$VAR/ferretdb" >>"$VAR/log/ferretdb.log" 2>&1 &
  echo $! > "$pidfile"
  wait_port "$MONGO_PORT" FerretDB 30
}

stop_one() { # name pidfile
  if pid_alive "$2"; then say "stopping $1"; kill "$(cat "$2")"; for _ in $(seq 1 50); do pid_alive "$2" || break; sleep 0.1; done; fi
  rm -f "$2"
}

print_env() {
  echo "REDIS_URL=${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT}"
  echo "MONGODB_URL=${MONGODB_URL:-mongodb://127.0.0.1:$MONGO_PORT/}"
  echo "SWITCHBOARD_PG_URL=$PG_URL"
}

case "${1:-}" in
  start)
    if [ "${2:-}" = "--for-tests" ]; then
      # Test tools: Debian python3-hl7's mllp_send (a third-party MLLP client), and Redis even when
      # REDIS_URL is set, because fault tests start private instances of their own.
      apt_install python3-hl7 redis-server
    fi
    start_redis
    start_ferretdb
    # Fault tests run private FerretDB instances (var/bin, on this PostgreSQL), also when MONGODB_URL is set.
    if [ "${2:-}" = "--for-tests" ]; then build_ferretdb; start_postgres; fi
    say "ready"
    ;;
  stop)
    stop_one FerretDB "$VAR/run/ferretdb.pid"
    if [ -f "$VAR/postgres/data/postmaster.pid" ]; then say "stopping PostgreSQL"; as_pg "$(pg_bin)/pg_ctl" -D "$VAR/postgres/data" -m fast stop >/dev/null || true; fi
    stop_one Redis "$VAR/run/redis.pid"
    ;;
  status)
    if [ -n "${REDIS_URL:-}" ]; then echo "redis: external"; elif port_open "$REDIS_PORT"; then echo "redis: up on $REDIS_PORT"; else echo "redis: down"; fi
    if [ -n "${MONGODB_URL:-}" ]; then echo "mongodb-wire: external"; elif port_open "$MONGO_PORT"; then echo "mongodb-wire: up on $MONGO_PORT"; else echo "mongodb-wire: down"; fi
    if port_open "$PG_PORT"; then echo "postgresql: up on $PG_PORT"; else echo "postgresql: down"; fi
    ;;
  env) print_env ;;
  *) echo "usage: $0 start [--for-tests] | stop | status | env" >&2; exit 2 ;;
esac
