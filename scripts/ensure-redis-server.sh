#!/usr/bin/env bash
# `npm start` runs a private redis-server when REDIS_URL is unset: install it on a fresh machine.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

if [ -n "${REDIS_URL:-}" ] || command -v redis-server >/dev/null 2>&1; then exit 0; fi
echo "npm start: redis-server is not on the PATH and REDIS_URL is unset." >&2
if ! bash scripts/apt-install.sh redis-server; then
  echo "(or set REDIS_URL to a Redis of your own)" >&2
  exit 1
fi
