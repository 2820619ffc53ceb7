#!/usr/bin/env bash
# npm run bench [-- --quick]: the services as npm start has them, then each benchmark in bench/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_node_modules
ensure_services
for bench in bench/ingest/ingest.bench.ts bench/hl7/hl7.bench.ts; do
  [ -f "$bench" ] || continue
  echo "== $bench"
  node --import tsx "$bench" "$@"
done
