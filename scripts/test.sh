#!/usr/bin/env bash
# npm test: installs what is missing, starts the services, type checks, runs every test with ava,
# and ends with one line `N passed, N failed[, N skipped]`. Arguments go to ava.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_node_modules || exit 1
ensure_services --for-tests || exit 1
mkdir -p var/log
typecheck=0
echo "[test] type check (tsc --noEmit)"
npx tsc -p tsconfig.json --noEmit || typecheck=1
npx ava "$@" 2>&1 | tee var/log/test-output.log
status=${PIPESTATUS[0]}
count() { grep -Eo "^ *[0-9]+ $1" var/log/test-output.log | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}'; }
# ava prints no "passed" count when something failed: count the passing tests' lines instead.
passed=$(grep -Ec '^ *✔' var/log/test-output.log)
failed=$(( $(count 'tests? failed') + $(count 'hooks? failed') + $(count 'uncaught exceptions?') + $(count 'unhandled rejections?') + $(count 'tests? timed out') + $(count 'tests? remained pending') + typecheck ))
skipped=$(count 'tests? skipped')
[ "$typecheck" -ne 0 ] && echo "[test] the type check failed (counted as one failure)"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
