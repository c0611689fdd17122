#!/usr/bin/env bash
# Installs the pinned node packages with `npm ci` from each folder's package-lock.json,
# when its node_modules is missing or older than the lock file: the console's front-end
# packages (htmx, ECharts; no build step, served under /static/), and the AsyncAPI
# project's parser that the tests validate docs/asyncapi.json with (infra/asyncapi/).
# Installs npm with apt when it is missing. Safe to run again and again.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

for folder in services/console infra/asyncapi; do
  cd "$root/$folder"
  stamp=node_modules/.installed
  if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then continue; fi

  if ! command -v npm >/dev/null 2>&1; then
    echo "installing npm with apt"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
  fi

  echo "installing the node packages of $folder (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
done
