#!/usr/bin/env bash
# Makes sure the real services the tests run against are installed (DESIGN.md section 9).
# As root it installs missing Debian packages; otherwise it prints the one command to run.
set -euo pipefail

need=()
[ -x /usr/bin/prometheus-alertmanager ] || need+=(prometheus-alertmanager)
# librdkafka's mock cluster (a real Kafka protocol broker on loopback) is built with gcc by the Kafka tests.
[ -f /usr/include/librdkafka/rdkafka_mock.h ] || need+=(librdkafka-dev)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
# Headless browser for the UI tests (playwright-core drives it; nothing is downloaded).
[ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  echo "ensure-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The package starts a system Alertmanager on :9093; tests start their own on free ports.
  (command -v systemctl >/dev/null && systemctl stop prometheus-alertmanager 2>/dev/null) || true
  pkill -f '^/usr/bin/prometheus-alertmanager' 2>/dev/null || true
else
  echo "ensure-deps: missing ${need[*]}. Install with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
