#!/usr/bin/env bash
# Install Debian's wrk for `make bench` (benchmarks/wrk.py drives it; without it the benchmarks
# fall back to their own asyncio load generator, which a trivial server can outrun).
# Idempotent: does nothing when wrk is on PATH; never fails the benchmarks when it cannot install.
set -uo pipefail

if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
echo "installing wrk (Debian package) for the benchmarks"
if ! bash "$(dirname "$0")/apt-install.sh" wrk; then
  echo "could not install wrk: the benchmarks use their own load generator" >&2
fi
exit 0
