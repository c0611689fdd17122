#!/usr/bin/env bash
# Makes sure the tests have the command-line tools they run: promtool (checks /metrics,
# the alerting rules and their unit cases; Debian's prometheus package ships it), and
# curl and jq (the README's tour, which a test runs as a person pastes it). Installs
# what is missing with apt, as ensure-browser.sh does for chromium. The prometheus
# server that comes with promtool is not started here (no init system runs it in a
# container; on a host, `systemctl disable --now prometheus` if it is not wanted).
# Safe to run again and again.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v jq >/dev/null 2>&1 || missing+=(jq)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} with apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
