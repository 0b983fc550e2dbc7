#!/usr/bin/env bash
# What the tests need besides node_modules, installed with apt when something is missing: they start
# their own redis-server and PostgreSQL, check signatures with xmlsec1 and openssl, drive the
# auditors' console in chromium, call the SOAP front door with Debian's python3-zeep, and check the
# shipped alert rules with promtool (Debian package prometheus).
# The Sentinel failover test runs the sentinel as `redis-server <conf> --sentinel`, which Redis documents
# as the same as `redis-sentinel <conf>`, so it needs no redis-sentinel package.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/postgres" ] || missing+=(postgresql)
command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)
command -v openssl >/dev/null 2>&1 || missing+=(openssl ca-certificates)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
/usr/bin/python3 -c 'import zeep' >/dev/null 2>&1 || missing+=(python3-zeep)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ "${#missing[@]}" -gt 0 ]; then bash scripts/apt-install.sh "${missing[@]}"; fi

echo "node $(node --version), npm $(npm --version)"
redis-server --version
"$(pg_bin)/postgres" --version
xmlsec1 --version
chromium --version
/usr/bin/python3 -c "import zeep, importlib.metadata as m; print(\"zeep\", m.version(\"zeep\"))"
promtool --version 2>&1 | head -n 1
