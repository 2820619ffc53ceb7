#!/usr/bin/env bash
# Provisions the services Switchboard needs, idempotently, on a fresh Debian machine:
#   Redis (Debian's redis-server)  127.0.0.1:$SWITCHBOARD_REDIS_PORT, data in var/redis
#   FerretDB (MongoDB wire)  127.0.0.1:$SWITCHBOARD_MONGO_PORT, built once into var/bin
#     on its PostgreSQL backend: Debian's postgresql, 127.0.0.1:$SWITCHBOARD_PG_PORT, data in
#     var/postgres. SWITCHBOARD_FERRETDB_BACKEND=sqlite runs it on its SQLite backend instead (data in
#     var/ferretdb, no PostgreSQL). PostgreSQL is the default because the SQLite backend pushes only a
#     filter that is exactly {_id: <string|ObjectId>} down to SQL: every other update or query scans
#     the whole collection (measured: 86 updates/s at 5,000 documents and falling, ~550/s on PostgreSQL).
# REDIS_URL / MONGODB_URL, when set, are used instead and nothing is started for them.
#
# Durability of what runs here:
#   Redis      appendonly yes + appendfsync everysec: an acknowledged write survives a crash of the
#              process; a crash of the machine can lose up to about 1 s of writes.
#   PostgreSQL defaults kept: fsync=on, synchronous_commit=on, full_page_writes=on (each commit is on
#              disk before FerretDB answers).
#   SQLite     FerretDB 1.24.2 (internal/backends/sqlite/metadata/pool/uri.go) sets only
#              busy_timeout(10000), journal_mode(wal) and auto_vacuum(none); it sets no
#              PRAGMA synchronous, so the default of its SQLite (modernc.org/sqlite v1.32.0, SQLite
#              3.46.0) applies: SQLITE_DEFAULT_SYNCHRONOUS = SQLITE_DEFAULT_WAL_SYNCHRONOUS = 2, FULL:
#              in WAL mode the WAL is fsynced at every commit, so a commit survives a power loss.
#
#   bash scripts/services.sh start [--for-tests]   install what is missing, start, wait until ready
#   bash scripts/services.sh stop                  stop what this script started (pidfiles)
#   bash scripts/services.sh status
#   bash scripts/services.sh env                   REDIS_URL=… and MONGODB_URL=… lines (with credentials)
#
# Credentials (issue 20): no local user without them reaches any of the services.
#   PostgreSQL  role postgres, password var/secrets/postgres-password; pg_hba.conf has only
#               `host … 127.0.0.1/32 scram-sha-256` (and ::1): no trust, no peer, no Unix socket.
#   FerretDB    no password of its own: --postgresql-url names none, so a client without credentials
#               gets nothing; a client's user and password (authMechanism=PLAIN) are the
#               PostgreSQL role's, which FerretDB passes on to PostgreSQL (docs.ferretdb.io/v1.24/
#               security/authentication). On the SQLite backend FerretDB 1.24 has only an
#               experimental authentication (--test-enable-new-auth), not turned on here: no credentials.
#   Redis       requirepass var/secrets/redis-password, read from var/secrets/redis.conf (not the
#               command line, which every local user can read in /proc).
# Secrets are generated once (random, hex) into var/secrets (0700, files 0600); data directories
# are 0700 owned by the user the service runs as. An instance from an earlier run without them is
# converged on start: its PostgreSQL gets the password and the new pg_hba.conf (reload), a running
# Redis gets requirepass (CONFIG SET, no restart), a FerretDB started with the old backend URL is restarted.
#
# --for-tests also installs Debian's python3-hl7 (/usr/bin/mllp_send), python3-aiosmtpd (the SMTP server the alert tests
# send e-mail to), chromium and prometheus (for its promtool, which
# checks /metrics and ops/prometheus-rules.yml; on a host that starts services, Debian also starts a Prometheus server
# on :9090, which the tests do not use), and makes sure a
# local redis-server and var/bin/ferretdb exist (tests/support/services.ts runs private instances of
# them for fault tests), even when REDIS_URL / MONGODB_URL are set.
#
# The default ports, the FerretDB version and the programs: scripts/services.env, the one table that
# tests/support/services.ts reads too. Other settings: SWITCHBOARD_REDIS_SERVER (redis-server program,
# default: the table's, on PATH), SWITCHBOARD_GO (go program, default: go on PATH, else /usr/local/go/bin/go).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/var"
# shellcheck source=services.env
source "$ROOT/scripts/services.env"
REDIS_PORT="${SWITCHBOARD_REDIS_PORT:-$REDIS_PORT}"
MONGO_PORT="${SWITCHBOARD_MONGO_PORT:-$MONGO_PORT}"
PG_PORT="${SWITCHBOARD_PG_PORT:-$PG_PORT}"
# Without the password (in PGPASSWORD of the commands that need it, never on a command line).
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT"
# FerretDB's backend: no user and no password, so that a client without credentials gets nothing.
FERRETDB_PG_URL="postgres://127.0.0.1:$PG_PORT/ferretdb"
SECRETS="$VAR/secrets"
BACKEND="${SWITCHBOARD_FERRETDB_BACKEND:-postgresql}"
REDIS_SERVER="${SWITCHBOARD_REDIS_SERVER:-$REDIS_SERVER}"
FERRETDB_BIN="$ROOT/$FERRETDB_BIN"
TEST_SERVICES="$ROOT/$TEST_SERVICES_DIR"
export DEBIAN_FRONTEND=noninteractive
# Files and directories made here (secrets, logs, data) are the owner's only.
umask 077

say() { echo "[services] $*" >&2; }
die() { echo "[services] ERROR: $*" >&2; exit 1; }

case "$BACKEND" in postgresql|sqlite) ;; *) die "SWITCHBOARD_FERRETDB_BACKEND must be postgresql or sqlite, not '$BACKEND'" ;; esac

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Redis answers +PONG once it has loaded its data (-LOADING before), after AUTH with the password.
# (An instance without a password answers AUTH with an error and PING with +PONG: redis_open.)
redis_ping() {
  ( exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'AUTH %s\r\nPING\r\n' "$(secret redis-password)" >&3 \
    && IFS= read -r -t 2 auth <&3 && IFS= read -r -t 2 reply <&3 && [[ "$auth" == "+OK"* && "$reply" == "+PONG"* ]] ) 2>/dev/null
}
# Refuses the password (AUTH is answered while the AOF loads too).
redis_wrongpass() {
  ( exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'AUTH %s\r\n' "$(secret redis-password)" >&3 \
    && IFS= read -r -t 2 reply <&3 && [[ "$reply" == "-WRONGPASS"* ]] ) 2>/dev/null
}
# Answers PING without a password: an instance from before the credentials.
redis_open() {
  ( exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && IFS= read -r -t 2 reply <&3 && [[ "$reply" == "+PONG"* ]] ) 2>/dev/null
}
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# The pidfile's process is alive and runs the program named (not a recycled pid).
# (No `cmd | grep -q` here: with pipefail, grep -q quitting early can fail the pipeline by SIGPIPE.)
cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }
pid_is() { pid_alive "$1" && [[ "$(cmdline "$(cat "$1")")" == *"$2"* ]]; }
# Ours and on the configured port: Redis titles itself "redis-server 127.0.0.1:<port>", FerretDB
# has --listen-addr=127.0.0.1:<port> on its command line.
redis_ours() { pid_is "$VAR/run/redis.pid" redis-server && pid_is "$VAR/run/redis.pid" "127.0.0.1:$REDIS_PORT"; }
ferretdb_ours() { pid_is "$VAR/run/ferretdb.pid" "$FERRETDB_BIN" && pid_is "$VAR/run/ferretdb.pid" "--listen-addr=127.0.0.1:$MONGO_PORT "; }
log_tail() { [ -f "$1" ] && tail -n 15 "$1" | sed 's/^/[services]   | /' >&2 || true; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# var/ and var/log stay 0755 (the umask above would make them 0700): as root, PostgreSQL runs as
# the postgres user, which must reach its cluster in var/postgres and its log in var/log.
# The logs in it: 0600 (those of earlier runs were 0644).
shared_dirs() {
  local d; for d in "$VAR" "$VAR/log"; do [ -d "$d" ] || { mkdir -p "$d" && chmod 755 "$d"; }; done
  chmod 600 "$VAR"/log/*.log 2>/dev/null || true
}

# The secret `name` of var/secrets (0600 in a 0700 directory), made once: 24 random bytes in hex
# (nothing to escape in a URL or a config file). ln makes it without replacing one a concurrent
# run made meanwhile, so every caller prints the same value.
secret() {
  local f="$SECRETS/$1" tmp
  shared_dirs
  mkdir -p "$SECRETS"; chmod 700 "$SECRETS"
  if [ ! -s "$f" ]; then
    tmp="$(mktemp "$SECRETS/.new.XXXXXX")"
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp"
    ln "$tmp" "$f" 2>/dev/null || true
    rm -f "$tmp"
  fi
  chmod 600 "$f"
  cat "$f"
}
# Data directories: 0700, existing ones too (earlier runs made them 0755).
private_dir() { mkdir -p "$@"; chmod 700 "$@"; }

# ---------------------------------------------------------------- what this run needs
FOR_TESTS=0
need_redis() { [ -z "${REDIS_URL:-}" ] || [ $FOR_TESTS -eq 1 ]; }
need_ferretdb() { [ -z "${MONGODB_URL:-}" ] || [ $FOR_TESTS -eq 1 ]; }
need_postgres() { need_ferretdb && [ "$BACKEND" = postgresql ]; }

pkg_installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *"install ok installed"* ]]; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# One apt-get call for everything missing (an apt-get update first, once).
install_packages() {
  local missing=() alt=()
  if need_redis && ! command -v "$REDIS_SERVER" >/dev/null; then
    missing+=(redis-server)
    if [ -z "${REDIS_URL:-}" ]; then alt+=("or set REDIS_URL to an existing Redis 6+ with maxmemory-policy noeviction")
    else alt+=("fault tests start private Redis instances even when REDIS_URL is set"); fi
  fi
  if need_postgres && [ -z "$(pg_bin)" ]; then
    missing+=(postgresql)
    alt+=("or set MONGODB_URL to an existing MongoDB 6+ / FerretDB, or SWITCHBOARD_FERRETDB_BACKEND=sqlite")
  fi
  if [ $FOR_TESTS -eq 1 ]; then
    pkg_installed python3-hl7 || missing+=(python3-hl7)   # /usr/bin/mllp_send
    pkg_installed chromium || missing+=(chromium)         # browser tests
    pkg_installed prometheus || missing+=(prometheus)     # promtool: tests/e2e/metrics-promtool.test.ts
    pkg_installed python3-aiosmtpd || missing+=(python3-aiosmtpd)   # a real SMTP server for the alert e-mail tests
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! is_root || ! command -v apt-get >/dev/null; then
    local why; if ! is_root; then why="not root"; else why="apt-get is missing"; fi
    local hint=""; [ ${#alt[@]} -gt 0 ] && hint="; $(IFS=';'; echo "${alt[*]}" | sed 's/;/; /g')"
    die "missing Debian packages: ${missing[*]}, and they cannot be installed here ($why): run apt-get install ${missing[*]} as root${hint}"
  fi
  say "apt-get: installing ${missing[*]}"
  timeout 600 apt-get update -qq >&2 || die "apt-get update failed"
  timeout 1200 apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed"
}

# ---------------------------------------------------------------- Redis
start_redis() {
  if [ -n "${REDIS_URL:-}" ]; then say "Redis: using REDIS_URL, starting nothing"; return; fi
  local pidfile="$VAR/run/redis.pid" log="$VAR/log/redis.log"
  if pid_is "$pidfile" redis-server && ! redis_ours; then
    die "the Redis of var/run/redis.pid (pid $(cat "$pidfile")) runs on another port than $REDIS_PORT: bash scripts/services.sh stop first"
  fi
  private_dir "$VAR/redis"
  write_redis_conf
  if redis_ours && redis_open "$REDIS_PORT"; then
    # Started before the credentials: the password now, for new connections (those open stay open).
    say "Redis: setting the password of var/secrets/redis-password (CONFIG SET requirepass)"
    ( exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'CONFIG SET requirepass %s\r\n' "$(secret redis-password)" >&3 \
      && IFS= read -r -t 2 reply <&3 && [[ "$reply" == "+OK"* ]] ) 2>/dev/null || die "CONFIG SET requirepass failed on 127.0.0.1:$REDIS_PORT"
  fi
  if redis_ours && redis_wrongpass "$REDIS_PORT"; then
    # Another password than var/secrets/redis-password (a secret deleted since): restart with this one.
    say "Redis: refuses the password of var/secrets/redis-password: restarting it"
    stop_pidfile Redis "$pidfile" redis-server
  fi
  if redis_ours; then
    if wait_redis 60 "$pidfile"; then say "Redis: already running on 127.0.0.1:$REDIS_PORT (pid $(cat "$pidfile"))"; return; fi
    log_tail "$log"; die "Redis (pid $(cat "$pidfile")) runs but does not answer PING on 127.0.0.1:$REDIS_PORT; see $log"
  fi
  if port_open "$REDIS_PORT"; then
    die "port $REDIS_PORT is held by another program (not the Redis of this script); set SWITCHBOARD_REDIS_PORT to a free port, or REDIS_URL to an existing Redis 6+ with maxmemory-policy noeviction"
  fi
  mkdir -p "$VAR/run" "$VAR/log"
  rm -f "$pidfile"
  say "Redis: starting on 127.0.0.1:$REDIS_PORT (appendonly yes, appendfsync everysec, noeviction, requirepass, data in var/redis)"
  # Debian's /etc/redis/redis.conf and its systemd unit are not used: the password from
  # var/secrets/redis.conf, every other setting on the command line.
  "$REDIS_SERVER" "$SECRETS/redis.conf" --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
    --dir "$VAR/redis" --appendonly yes --appendfsync everysec --save "" \
    --maxmemory-policy noeviction --daemonize yes --pidfile "$pidfile" --logfile "$log" >&2 9>&- \
    || { log_tail "$log"; die "redis-server did not start; see $log"; }
  wait_redis 30 "" || { log_tail "$log"; die "Redis did not answer PING on 127.0.0.1:$REDIS_PORT within 30 s; see $log"; }
  say "Redis: ready (pid $(cat "$pidfile" 2>/dev/null || echo '?'))"
}
# var/secrets/redis.conf: the password, for redis-server to read at start (0600).
write_redis_conf() {
  local conf="$SECRETS/redis.conf" want
  want="requirepass $(secret redis-password)"
  [ -f "$conf" ] && [ "$(cat "$conf")" = "$want" ] || printf '%s\n' "$want" >"$conf"
  chmod 600 "$conf"
}
wait_redis() { # seconds [pidfile that must stay alive]
  local end=$((SECONDS + $1))
  while [ $SECONDS -lt $end ]; do
    redis_ping "$REDIS_PORT" && return 0
    [ -n "$2" ] && ! pid_alive "$2" && return 1
    sleep 0.2
  done
  return 1
}

# ---------------------------------------------------------------- FerretDB binary
go_cmd() {
  if [ -n "${SWITCHBOARD_GO:-}" ]; then command -v "$SWITCHBOARD_GO" 2>/dev/null; return; fi
  command -v go 2>/dev/null || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; }
}
ferretdb_ok() { [ -x "$FERRETDB_BIN" ] && [[ "$("$FERRETDB_BIN" --version 2>/dev/null)" == *"version: $FERRETDB_VERSION"$'\n'* ]]; }

# `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` builds a binary that panics at start
# ("Invalid build/version/version.txt"): the module zip lacks that generated file. So the module is
# downloaded, copied out of the read-only module cache, given its version.txt, and built there.
build_ferretdb() { # [optional: warn instead of failing]
  if ferretdb_ok; then say "FerretDB: var/bin/ferretdb is $FERRETDB_VERSION"; return 0; fi
  local go; go="$(go_cmd)" || true
  if [ -z "$go" ]; then
    local msg="Go is missing: it is needed once to build FerretDB $FERRETDB_VERSION into var/bin (install Go 1.24+ from https://go.dev/dl/), or set MONGODB_URL to an existing MongoDB 6+ / FerretDB"
    if [ "${1:-}" = optional ]; then say "WARNING: $msg; fault tests that start a private FerretDB will fail"; return 0; fi
    die "$msg"
  fi
  say "FerretDB: building $FERRETDB_VERSION into var/bin/ferretdb with $("$go" version | cut -d' ' -f3) (1-3 minutes, once)"
  local tmp dir
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-build.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  dir="$(cd "$tmp" && timeout 600 "$go" mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')" || true
  [ -n "$dir" ] && [ -d "$dir" ] || die "go mod download github.com/FerretDB/FerretDB@$FERRETDB_VERSION failed"
  cp -r "$dir/." "$tmp/src" && chmod -R u+w "$tmp/src"
  echo "$FERRETDB_VERSION" >"$tmp/src/build/version/version.txt"
  mkdir -p "$VAR/bin"
  local blog="$VAR/log/ferretdb-build.log"; mkdir -p "$VAR/log"
  (cd "$tmp/src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false timeout 1200 "$go" build -trimpath -o "$FERRETDB_BIN.new" ./cmd/ferretdb) >"$blog" 2>&1 \
    || { log_tail "$blog"; die "go build of FerretDB $FERRETDB_VERSION failed; see $blog"; }
  mv -f "$FERRETDB_BIN.new" "$FERRETDB_BIN"
  rm -rf "$tmp"; trap - EXIT
  ferretdb_ok || die "the FerretDB just built does not report version $FERRETDB_VERSION"
  say "FerretDB: built var/bin/ferretdb"
}

# ---------------------------------------------------------------- PostgreSQL (FerretDB's backend)
# PostgreSQL refuses to run as root: as root it runs as the postgres user, which must be able to
# reach its data directory. When it cannot reach var/ (a clone under /root, say), the cluster lives
# in /var/tmp/switchboard-postgres-<hash of the repo path> instead; var/run/postgres.datadir says where.
pg_datadir_file="$VAR/run/postgres.datadir"
RUNUSER="$(command -v runuser || echo /usr/sbin/runuser)"
as_pg() { if is_root; then (cd / && "$RUNUSER" -u postgres -- "$@"); else "$@"; fi; }
pg_datadir() {
  if [ -f "$pg_datadir_file" ]; then cat "$pg_datadir_file"; return; fi
  local d="$VAR/postgres"
  mkdir -p "$d"
  if is_root; then
    chown postgres "$d" 2>/dev/null || true
    if ! (cd / && "$RUNUSER" -u postgres -- test -w "$d") 2>/dev/null; then
      d="/var/tmp/switchboard-postgres-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)"
      mkdir -p "$d" && chown postgres "$d" && chmod 700 "$d"
    fi
  fi
  mkdir -p "$VAR/run"
  echo "$d/data" >"$pg_datadir_file"
  echo "$d/data"
}
# Where the cluster is, without creating anything (status, stop).
pg_known_datadir() { if [ -f "$pg_datadir_file" ]; then cat "$pg_datadir_file"; else echo "$VAR/postgres/data"; fi; }
pg_port() { sed -n 4p "$(pg_known_datadir)/postmaster.pid" 2>/dev/null; }
pg_running() { # our cluster runs (pg_ctl status reads its postmaster.pid)
  local data; data="$(pg_known_datadir)"
  [ -f "$data/postmaster.pid" ] && [ -n "$(pg_bin)" ] && as_pg "$(pg_bin)/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# pg_hba.conf: the password (SCRAM-SHA-256) on loopback TCP, nothing else (no Unix socket is opened).
PG_HBA="# Written by scripts/services.sh: a password (SCRAM-SHA-256) on loopback TCP, nothing else.
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256"
# A PostgreSQL program run with the password, which never appears on a command line.
with_pg_password() { PGPASSWORD="$(secret postgres-password)" PGPASSFILE=/dev/null "$@"; }
pg_password_works() { [ "$(with_pg_password "$(pg_bin)/psql" -w "$PG_URL/postgres" -tAc 'SELECT 1' 2>/dev/null)" = 1 ]; }
# The password of role postgres, as SQL on standard input (password_encryption: SCRAM-SHA-256).
pg_password_sql() { printf "SET password_encryption = 'scram-sha-256'; ALTER ROLE postgres PASSWORD '%s';\n" "$(secret postgres-password)"; }
pg_hba_is_ours() { [ -f "$1/pg_hba.conf" ] && [ "$(cat "$1/pg_hba.conf")" = "$PG_HBA" ]; }
# Writes pg_hba.conf when it differs; true when it was changed.
pg_write_hba() {
  local hba="$1/pg_hba.conf"
  pg_hba_is_ours "$1" && return 1
  printf '%s\n' "$PG_HBA" | as_pg tee "$hba.new" >/dev/null && as_pg mv -f "$hba.new" "$hba"
}

# The cluster of an earlier run without a password (pg_hba.conf trusting loopback): given the
# password while it runs, or else stopped, and given it in single-user mode by start_postgres.
pg_converge_running() {
  local bin="$1" data="$2"
  if pg_hba_is_ours "$data"; then
    pg_password_works && return 0
  else
    # (A pg_hba.conf that trusts loopback lets any password through: set it whatever psql says.)
    say "PostgreSQL: setting the password of var/secrets/postgres-password"
    pg_password_sql | with_pg_password "$bin/psql" -w -q "$PG_URL/postgres" -v ON_ERROR_STOP=1 -f - >/dev/null 2>&1 && return 0
  fi
  say "PostgreSQL: its pg_hba.conf refuses the script: restarting it to set the password in single-user mode"
  as_pg "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 9>&- || die "pg_ctl stop failed ($data)"
}

start_postgres() {
  local bin data log
  bin="$(pg_bin)"; [ -n "$bin" ] || die "PostgreSQL is not installed (apt-get install postgresql), or set MONGODB_URL"
  data="$(pg_datadir)"
  # The postgres user writes the log: beside the cluster when var/ is out of its reach.
  case "$data" in "$VAR"/*) log="$VAR/log/postgres.log" ;; *) log="$(dirname "$data")/postgres.log" ;; esac
  # The directory above the cluster (the cluster itself is 0700 by initdb) and the log: postgres's only.
  if [ -d "$(dirname "$data")" ]; then chmod 700 "$(dirname "$data")"; fi
  if pg_running; then
    [ "$(pg_port)" = "$PG_PORT" ] || die "the PostgreSQL cluster in $data runs on port $(pg_port), not $PG_PORT: bash scripts/services.sh stop first"
    pg_converge_running "$bin" "$data"
  fi
  if pg_running; then
    if pg_write_hba "$data"; then
      say "PostgreSQL: pg_hba.conf now asks for the password (SCRAM-SHA-256) on loopback only; reloading"
      as_pg "$bin/pg_ctl" -D "$data" reload >/dev/null || die "pg_ctl reload failed ($data)"
    fi
    say "PostgreSQL: already running on 127.0.0.1:$PG_PORT ($data)"
  else
    mkdir -p "$VAR/log"; touch "$log"; chmod 600 "$log"; if is_root; then chown postgres "$log"; fi
    port_open "$PG_PORT" && die "port $PG_PORT is held by another program; set SWITCHBOARD_PG_PORT to a free port, or MONGODB_URL to an existing MongoDB 6+ / FerretDB"
    if [ ! -f "$data/PG_VERSION" ]; then
      say "PostgreSQL: creating a cluster in $data (password in var/secrets/postgres-password, SCRAM-SHA-256, loopback only)"
      # --pwfile: a copy the postgres user can read (not var/secrets), in its own 0700 directory, removed after.
      local pwfile; pwfile="$(dirname "$data")/.initdb-password"
      secret postgres-password >"$pwfile"; if is_root; then chown postgres "$pwfile"; fi
      as_pg "$bin/initdb" -D "$data" -A scram-sha-256 -U postgres --pwfile="$pwfile" >/dev/null || { rm -f "$pwfile"; die "initdb failed"; }
      rm -f "$pwfile"
    else
      # An existing cluster: its password set (again) before it listens, whatever its pg_hba.conf said.
      pg_password_sql | as_pg "$bin/postgres" --single -D "$data" postgres >/dev/null 2>>"$log" 9>&- || { log_tail "$log"; die "could not set the password of role postgres in $data (single-user mode)"; }
    fi
    pg_write_hba "$data" || true
    say "PostgreSQL: starting on 127.0.0.1:$PG_PORT (fsync on, synchronous_commit on)"
    # No Unix socket (its path could exceed 107 bytes in a deep clone): clients use TCP. setsid: a
    # Ctrl-C of npm start/test must not reach the postmaster (SIGINT is its fast shutdown).
    as_pg setsid -w "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=300" start >/dev/null 9>&- \
      || { log_tail "$log"; die "PostgreSQL did not start within 60 s; see $log"; }
  fi
  [ -f "$log" ] && chmod 600 "$log"
  pg_password_works || die "PostgreSQL on 127.0.0.1:$PG_PORT refuses the password of var/secrets/postgres-password"
  if [ "$(with_pg_password "$bin/psql" -w "$PG_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='ferretdb'")" != 1 ]; then
    say "PostgreSQL: creating database ferretdb"
    with_pg_password "$bin/createdb" -w -h 127.0.0.1 -p "$PG_PORT" -U postgres ferretdb
  fi
  # template1 too: databases made later (tests' private FerretDB backends) inherit the trigger.
  for db in template1 ferretdb; do with_pg_password "$bin/psql" -w "$PG_URL/$db" -q -v ON_ERROR_STOP=1 -f "$ROOT/scripts/ferretdb-indexes.sql" >/dev/null || die "could not install the FerretDB index trigger in $db"; done
}

# ---------------------------------------------------------------- FerretDB
# The MongoDB-wire URL of the FerretDB started here: the PostgreSQL role's user and password, SASL
# PLAIN, which FerretDB 1.24 passes on to PostgreSQL (the driver authenticates PLAIN against
# $external by itself). No `&` in it: the lines of `env` are eval'ed as `export …` lines.
mongo_url() {
  if [ "$BACKEND" = sqlite ]; then echo "mongodb://127.0.0.1:$MONGO_PORT/"; return; fi
  echo "mongodb://postgres:$(secret postgres-password)@127.0.0.1:$MONGO_PORT/?authMechanism=PLAIN"
}
# Ready when the mongodb driver, with the credentials, lists the databases (FerretDB accepts
# connections before its backend is usable, and answers ping without reaching it); a TCP connect
# only, when node_modules has no mongodb driver yet. The URL goes in the environment, not on the
# command line.
mongo_ping() { # seconds
  if command -v node >/dev/null && [ -d "$ROOT/node_modules/mongodb" ]; then
    (cd "$ROOT" && SWITCHBOARD_PING_URL="$(mongo_url)" timeout $(($1 + 5)) node --input-type=module -e "
      import { MongoClient } from 'mongodb';
      const end = Date.now() + $1 * 1000;
      for (;;) {
        const c = new MongoClient(process.env.SWITCHBOARD_PING_URL, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
        try { await c.db('admin').admin().listDatabases({ nameOnly: true }); await c.close(); process.exit(0); }
        catch (e) { await c.close().catch(() => {}); if (Date.now() > end) { console.error(String(e)); process.exit(1); } }
        await new Promise((r) => setTimeout(r, 300));
      }" >&2)
  else
    local end=$((SECONDS + $1))
    while [ $SECONDS -lt $end ]; do port_open "$MONGO_PORT" && return 0; sleep 0.2; done
    return 1
  fi
}

start_ferretdb() {
  if [ -n "${MONGODB_URL:-}" ]; then say "MongoDB wire: using MONGODB_URL, starting nothing"; return; fi
  local pidfile="$VAR/run/ferretdb.pid" log="$VAR/log/ferretdb.log"
  build_ferretdb
  [ "$BACKEND" = postgresql ] && start_postgres
  if pid_is "$pidfile" "$FERRETDB_BIN" && ! ferretdb_ours; then
    die "the FerretDB of var/run/ferretdb.pid (pid $(cat "$pidfile")) listens on another port than $MONGO_PORT: bash scripts/services.sh stop first"
  fi
  if ferretdb_ours; then
    if [[ "$(cmdline "$(cat "$pidfile")")" != *"--handler=$BACKEND "* ]]; then
      die "the running FerretDB (pid $(cat "$pidfile")) is not on the $BACKEND backend: bash scripts/services.sh stop first"
    fi
    if [ "$BACKEND" = postgresql ] && [[ "$(cmdline "$(cat "$pidfile")")" != *"--postgresql-url=$FERRETDB_PG_URL "* ]]; then
      # Started before the credentials, with a backend URL naming a user: anonymous clients would
      # still be served as that user from its pooled connections.
      say "FerretDB: started with another backend URL (one that lets clients in without credentials): restarting it"
      stop_pidfile FerretDB "$pidfile" "$FERRETDB_BIN"
    elif mongo_ping 30; then say "FerretDB: already running on 127.0.0.1:$MONGO_PORT (pid $(cat "$pidfile"))"; return
    else log_tail "$log"; die "FerretDB (pid $(cat "$pidfile")) runs but does not answer on 127.0.0.1:$MONGO_PORT; see $log"; fi
  fi
  port_open "$MONGO_PORT" && die "port $MONGO_PORT is held by another program (not the FerretDB of this script); set SWITCHBOARD_MONGO_PORT to a free port, or MONGODB_URL to an existing MongoDB 6+ / FerretDB"
  private_dir "$VAR/ferretdb"
  mkdir -p "$VAR/run" "$VAR/log"
  local backend_args
  if [ "$BACKEND" = sqlite ]; then
    backend_args=(--handler=sqlite "--sqlite-url=file:$VAR/ferretdb/")
  else
    backend_args=(--handler=postgresql "--postgresql-url=$FERRETDB_PG_URL")
  fi
  say "FerretDB: starting $FERRETDB_VERSION ($BACKEND backend) on 127.0.0.1:$MONGO_PORT, log var/log/ferretdb.log"
  # setsid: not in the caller's process group, so a Ctrl-C of npm start/test does not stop it.
  # No PGPASSWORD or ~/.pgpass of the caller: FerretDB would serve clients without credentials with it.
  env -u PGPASSWORD PGPASSFILE=/dev/null setsid nohup "$FERRETDB_BIN" "${backend_args[@]}" --listen-addr="127.0.0.1:$MONGO_PORT" \
    --state-dir="$VAR/ferretdb" --debug-addr=- --telemetry=disable --log-level=warn \
    </dev/null >>"$log" 2>&1 9>&- &
  echo $! >"$pidfile"
  local end=$((SECONDS + 30))
  while [ $SECONDS -lt $end ] && ! port_open "$MONGO_PORT"; do
    pid_alive "$pidfile" || { log_tail "$log"; rm -f "$pidfile"; die "FerretDB exited at start; see $log"; }
    sleep 0.2
  done
  if ! mongo_ping $((end - SECONDS > 5 ? end - SECONDS : 5)); then
    log_tail "$log"; die "FerretDB did not answer on 127.0.0.1:$MONGO_PORT within 30 s; see $log"
  fi
  say "FerretDB: ready (pid $(cat "$pidfile"))"
}

# ---------------------------------------------------------------- private test instances
# tests/support/services.ts kills its private servers when the test process exits, but a test
# process that is killed runs no 'exit' handler. Each instance directory has a .owner file,
# "<test pid> <server pid> <port> <database or ->": when the test pid is gone, the server (checked
# by its port on its command line) is killed, its PostgreSQL database dropped, its directory removed.
reap_test_services() {
  local f d owner child port db n=0
  for f in "$TEST_SERVICES"/*/.owner; do
    [ -f "$f" ] || continue
    d="$(dirname "$f")"
    read -r owner child port db <"$f" || continue
    [ -n "$owner" ] && [ -n "$child" ] && [ -n "$port" ] || continue
    kill -0 "$owner" 2>/dev/null && continue
    if kill -0 "$child" 2>/dev/null && [[ "$(cmdline "$child")" == *"127.0.0.1:$port"* ]]; then
      kill -CONT "$child" 2>/dev/null || true
      kill -KILL "$child" 2>/dev/null || true
    fi
    if [ -n "$db" ] && [ "$db" != - ] && [ -n "$(pg_bin)" ] && port_open "$PG_PORT"; then
      with_pg_password "$(pg_bin)/dropdb" -w -h 127.0.0.1 -p "$PG_PORT" -U postgres --if-exists --force "$db" >/dev/null 2>&1 || true
    fi
    rm -rf "$d"
    n=$((n + 1))
  done
  if [ $n -gt 0 ]; then say "reaped $n private test instance(s) left behind by killed test processes"; fi
}

# ---------------------------------------------------------------- stop, status, env
stop_pidfile() { # name pidfile program
  if pid_is "$2" "$3"; then
    local pid; pid="$(cat "$2")"
    say "stopping $1 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null; kill -CONT "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then say "$1 did not stop in 10 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  else
    say "$1: not running (started by this script)"
  fi
  rm -f "$2"
}

stop_all() {
  stop_pidfile FerretDB "$VAR/run/ferretdb.pid" "$FERRETDB_BIN"
  if pg_running; then
    say "stopping PostgreSQL ($(pg_known_datadir))"
    as_pg "$(pg_bin)/pg_ctl" -D "$(pg_known_datadir)" -m fast -w -t 30 stop >/dev/null 9>&- || say "pg_ctl stop failed"
  else
    say "PostgreSQL: not running (started by this script)"
  fi
  stop_pidfile Redis "$VAR/run/redis.pid" redis-server
}

status() {
  local s
  if [ -n "${REDIS_URL:-}" ]; then s="external (REDIS_URL)"
  elif redis_ours && redis_ping "$REDIS_PORT"; then s="up on 127.0.0.1:$REDIS_PORT (pid $(cat "$VAR/run/redis.pid"))"
  elif port_open "$REDIS_PORT"; then s="port $REDIS_PORT held by another program"
  else s="down"; fi
  echo "[services] redis: $s"
  if [ -n "${MONGODB_URL:-}" ]; then s="external (MONGODB_URL)"
  elif ferretdb_ours && port_open "$MONGO_PORT"; then s="FerretDB up on 127.0.0.1:$MONGO_PORT (pid $(cat "$VAR/run/ferretdb.pid"))"
  elif port_open "$MONGO_PORT"; then s="port $MONGO_PORT held by another program"
  else s="down"; fi
  echo "[services] mongodb-wire: $s"
  if pg_running; then s="up on 127.0.0.1:$(pg_port) ($(pg_known_datadir))"; else s="down"; fi
  echo "[services] postgresql (FerretDB's backend): $s"
  if ferretdb_ok; then s="$FERRETDB_VERSION"; else s="missing"; fi
  echo "[services] var/bin/ferretdb: $s"
}

# The URLs with their credentials (from var/secrets, made here when missing).
print_env() {
  echo "REDIS_URL=${REDIS_URL:-redis://:$(secret redis-password)@127.0.0.1:$REDIS_PORT}"
  echo "MONGODB_URL=${MONGODB_URL:-$(mongo_url)}"
  # For tests/support/services.ts: where private FerretDB instances put their databases.
  echo "SWITCHBOARD_FERRETDB_BACKEND=$BACKEND"
  [ "$BACKEND" = postgresql ] && echo "SWITCHBOARD_PG_URL=postgres://postgres:$(secret postgres-password)@127.0.0.1:$PG_PORT"
  return 0
}

# One start or stop at a time (npm test and npm start may run together). The servers started are
# given no fd 9 (9>&-), or they would hold the lock for as long as they run.
lock() {
  shared_dirs
  mkdir -p "$VAR/run"
  exec 9>"$VAR/run/services.lock"
  flock -w 1800 9 || die "another scripts/services.sh has held var/run/services.lock for 30 minutes"
}

cmd="${1:-}"; shift || true
for a in "$@"; do
  case "$a" in --for-tests) FOR_TESTS=1 ;; *) die "unknown option $a (usage: $0 start [--for-tests] | stop | status | env)" ;; esac
done
case "$cmd" in
  start)
    lock
    install_packages
    start_redis
    start_ferretdb
    if [ $FOR_TESTS -eq 1 ] && [ -n "${MONGODB_URL:-}" ]; then
      # Fault tests start private FerretDB instances from var/bin, on this PostgreSQL.
      build_ferretdb optional
      [ "$BACKEND" = postgresql ] && ferretdb_ok && start_postgres
    fi
    if [ $FOR_TESTS -eq 1 ]; then private_dir "$TEST_SERVICES"; reap_test_services; fi
    say "ready: REDIS_URL and MONGODB_URL (with their credentials): bash scripts/services.sh env"
    ;;
  stop) lock; stop_all ;;
  status) status ;;
  env) print_env ;;
  *) echo "usage: $0 start [--for-tests] | stop | status | env" >&2; exit 2 ;;
esac
