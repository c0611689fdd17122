#!/usr/bin/env bash
# Installs the console's pinned front-end packages (htmx, ECharts, Swagger UI) with `npm ci` from
# services/console/package-lock.json, when node_modules is missing or older than the
# lock file. No build step: the console serves the packages' own files under /static/.
# Installs npm with apt when it is missing. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/../../services/console"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

stamp=node_modules/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then exit 0; fi

if ! command -v npm >/dev/null 2>&1; then
  echo "installing npm with apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
fi

echo "installing the console's front-end packages (npm ci)"
npm ci --no-audit --no-fund --loglevel=error
touch "$stamp"
