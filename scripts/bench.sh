#!/usr/bin/env bash
# npm run bench [-- --quick]: starts the services as npm start does, then runs each benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh start
eval "$(bash scripts/services.sh env | sed 's/^/export /')"
for bench in bench/ingest/ingest.bench.ts bench/hl7/hl7.bench.ts; do
  [ -f "$bench" ] || continue
  echo "== $bench"
  npx tsx "$bench" "$@"
done
