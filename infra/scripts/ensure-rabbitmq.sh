#!/usr/bin/env bash
# Makes sure a local RabbitMQ answers on 127.0.0.1:5672 with the management
# plugin on 15672 (queue monitoring and the test fixtures use its HTTP API).
# Starts the broker when it is installed and stopped; installs it with apt
# when it is missing. Safe to run again and again.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
wait_port() {
  for _ in $(seq 1 120); do port_open "$1" && return 0; sleep 0.5; done
  echo "RabbitMQ did not open port $1 in 60 s" >&2; return 1
}

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "installing rabbitmq-server with apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server
fi

if ! port_open 5672; then
  echo "starting RabbitMQ"
  as_root rabbitmq-server -detached
  wait_port 5672
fi

if ! port_open 15672; then
  echo "enabling the RabbitMQ management plugin"
  as_root rabbitmq-plugins enable --quiet rabbitmq_management
  wait_port 15672
fi
