# Shared by scripts/start.sh, scripts/test.sh and scripts/bench.sh.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# npm ci when node_modules is missing or older than package-lock.json or a dependency patch
# (patches/, applied by patch-package at install).
ensure_node_modules() {
  local installed="$ROOT/node_modules/.package-lock.json" stale=""
  for f in "$ROOT/package-lock.json" "$ROOT"/patches/*.patch; do
    [ -f "$f" ] && [ "$f" -nt "$installed" ] && stale=1
  done
  if [ ! -f "$installed" ] || [ -n "$stale" ]; then
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

# Builds the benchmark's durable peer (peers/camel: Apache Camel 4 from Maven Central) into
# peers/camel/target when its jar is missing or its pom or sources are newer. Needs Java 17+ and Maven:
# as root on Debian they are installed when missing (default-jdk-headless, maven); otherwise it fails
# saying so. Only the durable-peer benchmark uses it.
ensure_camel_peer() {
  local dir="$ROOT/peers/camel" jar="$ROOT/peers/camel/target/camel-peer.jar"
  if [ -f "$jar" ] && [ -z "$(find "$dir/pom.xml" "$dir/src" -type f -newer "$jar" -print -quit)" ]; then return 0; fi
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
      echo "[setup] ERROR: the durable-peer benchmark needs Java 17+ and Maven (apt-get install default-jdk-headless maven as root)" >&2
      return 1
    fi
    echo "[setup] installing Java and Maven (apt-get install default-jdk-headless maven)" >&2
    timeout 600 apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y -qq --no-install-recommends default-jdk-headless maven >&2 || return 1
  fi
  echo "[setup] building the Camel peer (mvn package in peers/camel; the first time downloads Camel from Maven Central)" >&2
  (cd "$dir" && mvn -B -q -Dstyle.color=never clean package >&2)
}
