#!/usr/bin/env bash
# Install promtool, Prometheus's rule checker, for `make lint` (docs/alerts.yml and its tests).
# It comes from Debian's prometheus package, of which only the promtool binary is extracted to
# /usr/local/bin: no Prometheus server is installed or started. Idempotent: does nothing when
# promtool is already on PATH.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "promtool is not installed and apt-get is unavailable: install Prometheus's promtool" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod a+rwx "$work"  # apt's download sandbox user writes here
echo "installing promtool (from Debian's prometheus package) for make lint"
cd "$work"
if ! apt-get download -qq prometheus 2>/dev/null; then
  $SUDO apt-get update -qq
  apt-get download -qq prometheus
fi
dpkg-deb -x prometheus_*.deb extracted
$SUDO install -m 0755 extracted/usr/bin/promtool /usr/local/bin/promtool
