#!/usr/bin/env bash
# Makes sure the ops tests have promtool (checks /metrics, the alerting rules and their
# unit tests): Debian's prometheus package ships it. Installs it with apt when missing,
# as ensure-browser.sh does for chromium; the server it also installs is not started
# here (no init system runs it in a container; on a host, `systemctl disable --now
# prometheus` if it is not wanted). Safe to run again and again.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v promtool >/dev/null 2>&1; then
  echo "installing prometheus (for promtool) with apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus
fi
