#!/usr/bin/env bash
# Installs Debian/Ubuntu packages for `npm start` and the tests: as root, or with sudo when it works
# without a password; otherwise prints the exact command to run and fails. Debian's redis-server and
# postgresql packages start a system-wide server on install (6379, a "15/main" cluster on 5432): the
# gateway and the tests start their own, so the standard policy-rc.d mechanism keeps those from
# starting, unless this machine already has a policy of its own.
# Usage: scripts/apt-install.sh PACKAGE...
set -euo pipefail

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Needed: $*. This is not a Debian/Ubuntu machine: install them with its package manager." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "Needed: $*. Installing them needs root; run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $*" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  trap '"${as_root[@]}" rm -f "$policy"' EXIT
fi

echo "Installing $* with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
