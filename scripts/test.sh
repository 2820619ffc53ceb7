#!/usr/bin/env bash
# npm test: installs what is missing (npm ci), starts the services (scripts/services.sh start
# --for-tests), drops the databases and Redis queue keys earlier test runs left over 6 hours ago
# (scripts/drop-stale-test-data.ts), type checks, lints (npm run lint: ESLint, then prettier --check),
# runs the tests with ava (arguments go to ava), and ends with one line
#   N passed, N failed[, N skipped]
# counted from ava's summary (ava 7 prints e.g. "12 tests passed", "1 test failed", "1 hook failed",
# "2 tests skipped", "1 test todo", "1 known failure", "1 uncaught exception",
# "1 unhandled rejection", "3 tests remained pending after a timeout"; no "passed" line when a test
# or hook failed, then the passing tests' ✔ lines are counted). Failed = failed tests + failed hooks
# + uncaught exceptions + unhandled rejections + timed-out tests (+1 when the type check failed, +1
# when the lint failed, +1 when ava exited non-zero with none of those). Skipped = skipped + todo +
# known failures (test.failing that failed as expected). Exits non-zero when anything failed.
# The whole ava run is bounded by SWITCHBOARD_TEST_TIMEOUT seconds (default 4200).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
mkdir -p var/log
out=var/log/test-output.log

setup_failed() { echo "[test] $1"; echo "0 passed, 1 failed"; exit 1; }
ensure_node_modules || setup_failed "npm ci failed"
ensure_services --for-tests || setup_failed "the services did not start (scripts/services.sh start --for-tests)"
ensure_console || setup_failed "the console did not build (npm run build:ui)"
node --import tsx scripts/drop-stale-test-data.ts

typecheck=0
echo "[test] type check (tsc -p tsconfig.json --noEmit)"
timeout 900 npx tsc -p tsconfig.json --noEmit || typecheck=1
[ "$typecheck" -ne 0 ] && echo "[test] the type check FAILED"

lint=0
echo "[test] lint (npm run lint: eslint . && prettier --check .)"
timeout 900 npm run --silent lint || lint=1
[ "$lint" -ne 0 ] && echo "[test] the lint FAILED (npm run format rewrites the formatting; the rest is ESLint's)"

echo "[test] ava $*"
timeout --kill-after=30 "${SWITCHBOARD_TEST_TIMEOUT:-4200}" npx ava "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
[ "$status" -eq 124 ] && echo "[test] ava ran longer than ${SWITCHBOARD_TEST_TIMEOUT:-4200} s and was stopped"

plain="$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$out")"
# The number on ava's summary line "<N> <what>" (0 when absent).
count() { grep -E "^ *[0-9]+ ($1)\$" <<<"$plain" | tail -n 1 | grep -Eo '[0-9]+' | head -n 1 || true; }
n() { local v; v="$(count "$1")"; echo "${v:-0}"; }

passed="$(count 'tests? passed')"
if [ -z "$passed" ]; then
  # ✔ lines, less known failures ("✔ [expected fail] …"), which ava counts apart from passes.
  passed="$(grep -E '^ *✔ ' <<<"$plain" | grep -vc '✔ \[expected fail\]' || true)"
fi
failed=$(( $(n 'tests? failed') + $(n 'hooks? failed') + $(n 'uncaught exceptions?') + $(n 'unhandled rejections?') + $(n 'tests? remained pending after a timeout') ))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "[test] ava exited with $status without counting a failure (a test file that exited or failed to load, or no tests found): counted as 1 failed"
  failed=1
fi
[ "$typecheck" -ne 0 ] && { echo "[test] the type check failed: counted as 1 failed"; failed=$((failed + 1)); }
[ "$lint" -ne 0 ] && { echo "[test] the lint failed: counted as 1 failed"; failed=$((failed + 1)); }
skipped=$(( $(n 'tests? skipped') + $(n 'tests? todo') + $(n 'known failures?') ))

line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
