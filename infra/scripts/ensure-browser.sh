#!/usr/bin/env bash
# Makes sure the browser tests have Debian's chromium and a CJK font (without one every
# Chinese character is a box in the screenshots). Installs them with apt when missing,
# as ensure-rabbitmq.sh does for the broker; Playwright's own browser download is not
# used. Safe to run again and again.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then missing+=(fonts-noto-cjk); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} with apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" fontconfig
fi
