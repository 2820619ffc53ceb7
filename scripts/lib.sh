# Shared by scripts/start.sh, scripts/test.sh and scripts/bench.sh.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# npm ci when node_modules is missing or older than package-lock.json.
ensure_node_modules() {
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    echo "[setup] installing npm dependencies (npm ci)" >&2
    (cd "$ROOT" && npm ci --no-audit --no-fund >&2)
  fi
}

# Starts the services and exports REDIS_URL and MONGODB_URL.
ensure_services() {
  bash "$ROOT/scripts/services.sh" start "$@"
  while IFS= read -r line; do export "${line?}"; done < <(bash "$ROOT/scripts/services.sh" env)
}

# Builds the admin console (admin-ui/dist) when it is missing or any of its sources, or the
# lock file, is newer than its index.html.
ensure_console() {
  local built="$ROOT/admin-ui/dist/index.html"
  if [ ! -f "$built" ] || [ -n "$(find "$ROOT/admin-ui" "$ROOT/package-lock.json" -path "$ROOT/admin-ui/dist" -prune -o -type f -newer "$built" -print -quit)" ]; then
    echo "[setup] building the console (npm run build:ui)" >&2
    (cd "$ROOT" && npm run --silent build:ui >&2)
  fi
}
