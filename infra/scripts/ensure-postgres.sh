#!/usr/bin/env bash
# Makes sure a local PostgreSQL answers on 127.0.0.1:5432 (the integration
# tests and the postgres store backend need it). Starts the installed
# cluster when it is stopped; installs PostgreSQL with apt when it is missing.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if port_open 5432; then exit 0; fi

if ! ls /etc/postgresql >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  echo "installing postgresql with apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
fi

version=$(ls /etc/postgresql | sort -V | tail -n 1)
echo "starting PostgreSQL $version"
as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 60); do port_open 5432 && exit 0; sleep 0.5; done
echo "PostgreSQL did not open port 5432 in 30 s" >&2
exit 1
