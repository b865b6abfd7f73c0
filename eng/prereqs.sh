#!/usr/bin/env bash
# Finds or installs what Cortex1 needs on a Debian/Ubuntu machine with the .NET 10 SDK:
# PostgreSQL server binaries (Debian's package), libgomp1 (llama.cpp's OpenMP, for the export tests), chromium and
# chromium-driver (the web page's browser test) and Azurite (npm, pinned in package.json).
# Run by run.sh and test.sh; stops with a message naming the fix when it cannot.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "cortex1: $*" >&2; exit 1; }

command -v dotnet >/dev/null || die "the .NET SDK is not on PATH. Install .NET 10: https://dotnet.microsoft.com/download"
dotnet --list-sdks | grep -q '^10\.' || die "the .NET 10 SDK is required (found: $(dotnet --list-sdks | tr '\n' ' '))."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root to run: $* (no sudo). Run it as root, then try again."
  fi
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && [ -z "${CORTEX1_PG_BIN:-}" ]; then
  command -v apt-get >/dev/null || die "PostgreSQL server binaries not found and apt-get is missing. Install PostgreSQL 14+ and set CORTEX1_PG_BIN to its bin folder."
  echo "cortex1: installing PostgreSQL from Debian's packages..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # policy-rc.d: the package must not start its own cluster; Cortex1 runs its own.
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  die "running as root needs the 'postgres' system user (PostgreSQL refuses to run as root). Install Debian's postgresql package or run as a normal user."
fi

# libgomp1: OpenMP runtime of llama.cpp's CPU build (LLamaSharp.Backend.Cpu), which the export parity tests load.
# ldconfig lives in /sbin (not on a normal user's PATH); its whole listing is read first so grep -q cannot SIGPIPE it.
if ! { /sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null || true; } | grep 'libgomp\.so\.1' >/dev/null; then
  command -v apt-get >/dev/null || die "libgomp.so.1 (GNU OpenMP) not found and apt-get is missing. Install your distribution's libgomp1."
  echo "cortex1: installing libgomp1 from Debian's packages..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libgomp1 >/dev/null
fi

# Chromium and its WebDriver: the browser test of the Inference web page drives Debian's own browser (nothing downloads one).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  command -v apt-get >/dev/null || die "chromium and chromedriver not found and apt-get is missing. Install your distribution's chromium and chromium-driver."
  echo "cortex1: installing chromium and chromium-driver from Debian's packages..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi

if [ ! -x "$repo/node_modules/.bin/azurite-blob" ] && [ -z "${CORTEX1_AZURITE:-}" ]; then
  command -v npm >/dev/null || die "npm not found; install Node.js 18+ (apt-get install nodejs npm), needed for Azurite."
  echo "cortex1: installing Azurite from npm..."
  (cd "$repo" && npm ci --no-audit --no-fund --loglevel=error)
fi
