#!/usr/bin/env bash
# npm run bench [-- --quick] [-- --only=floors,store,ingest,profile,peer,durable-peer,e2e,scale-out,queries,search,soak]:
# the services as npm start has them, the Camel peer built when durable-peer runs, then bench/run.ts
# (every benchmark of docs/performance.md) and bench/hl7 (the codec beside other readers). Results in
# bench/results/ (git-ignored).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_node_modules
ensure_services
only="$(printf '%s\n' "$@" | sed -n 's/^--only=//p' | head -n 1)"
if [ -z "$only" ] || [[ ",$only," == *",durable-peer,"* ]]; then ensure_camel_peer; fi
node --import tsx scripts/drop-stale-test-data.ts --bench
echo "== bench/run.ts"
node --import tsx bench/run.ts "$@"
if [[ " $* " != *" --only="* ]]; then
  echo "== bench/hl7/hl7.bench.ts"
  node --import tsx bench/hl7/hl7.bench.ts "$@"
fi
