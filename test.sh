#!/usr/bin/env bash
# Runs every test (real PostgreSQL and Azurite on 127.0.0.1, started by the tests themselves)
# and ends with one line of totals: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
bash eng/prereqs.sh || exit 1

log=$(mktemp)
dotnet build Cortex1.sln -c Release -warnaserror --nologo -v q 2>&1 | tail -n 30
build=${PIPESTATUS[0]}
if [ "$build" != 0 ]; then echo "0 passed, 1 failed"; exit 1; fi

dotnet test Cortex1.sln -c Release --no-build --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Each test assembly prints "Passed!/Failed!  - Failed: F, Passed: P, Skipped: S, Total: T".
sum() { grep -Eo "$1: +[0-9]+" "$log" | awk '{ n += $2 } END { print n + 0 }'; }
passed=$(sum Passed); failed=$(sum Failed); skipped=$(sum Skipped)
# A test host that crashed reports no counts: count it as a failure so the totals never look clean.
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
rm -f "$log"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
