#!/usr/bin/env bash
# npm start: installs what is missing, starts Redis and FerretDB under var/, builds (the engine, and the
# console when its sources changed), runs the demo
# (channel ehr-mllp on MLLP 2575, the ERP simulator on 8090, the admin API on 8080).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_node_modules
ensure_services
echo "[setup] building (tsc)" >&2
npm run --silent build >&2
ensure_console
# glibc: message buffers from its heaps, and freed ones kept for reuse up to a bound (README, Configuration).
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-4194304}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-33554432}"
exec node --import tsx scripts/demo.ts "$@"
