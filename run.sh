#!/usr/bin/env bash
# Runs Cortex1: the Aspire AppHost with its dashboard over plain HTTP (http://localhost:15180).
# Without a container engine, PostgreSQL and Azurite run as local processes under .state/.
set -euo pipefail
cd "$(dirname "$0")"
bash eng/prereqs.sh
exec dotnet run --project Cortex1.AppHost --launch-profile http "$@"
