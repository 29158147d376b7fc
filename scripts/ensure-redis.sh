#!/usr/bin/env bash
# `make run` needs Redis at localhost: start an installed redis-server when none answers,
# or say in one line how to get one.
set -uo pipefail
url="${DOCKWATCH_REDIS_URL:-redis://localhost:6379/0}"
case "$url" in
  redis://localhost:6379*|redis://127.0.0.1:6379*) ;;
  *) exit 0 ;;  # a Redis elsewhere is the operator's to run
esac
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0
if command -v redis-server >/dev/null 2>&1; then
  echo "starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0; sleep 0.25; done
  echo "redis-server did not come up on 127.0.0.1:6379" >&2; exit 1
fi
echo "dockwatch needs Redis: install it (apt-get install redis-server, brew install redis) or set DOCKWATCH_REDIS_URL" >&2
exit 1
