#!/usr/bin/env bash
# Install Debian packages (through sudo when not root): the one apt-get step of the install-*.sh
# scripts. Exits 127 when apt-get is unavailable, otherwise with apt-get's status.
set -euo pipefail

if ! command -v apt-get >/dev/null 2>&1; then
  exit 127
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
