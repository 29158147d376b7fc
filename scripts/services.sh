#!/usr/bin/env bash
# Start the local services the tests need (Redis, PostgreSQL, Mosquitto) when they are not answering.
# Uses the machine's own service commands; prints one line per service it had to start.
set -uo pipefail

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
# DOCKWATCH_TEST_DBS=sqlite runs the suite without PostgreSQL: then it need not answer.
needs_postgres() { case ",${DOCKWATCH_TEST_DBS:-sqlite,postgresql}," in *,postgresql,*) ;; *) return 1 ;; esac; }
postgres_up() { ! needs_postgres || pg_isready -h 127.0.0.1 -p 5432 -q >/dev/null 2>&1; }
# The MQTT tests publish to the broker on 127.0.0.1:1883 (each under a topic prefix of its own).
mosquitto_up() { (exec 3<>/dev/tcp/127.0.0.1/1883) >/dev/null 2>&1; }

if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "starting redis-server on 127.0.0.1:6379"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  else
    echo "redis-server is not installed: apt-get install redis-server (or set DOCKWATCH_TEST_REDIS_URL)" >&2
  fi
fi

if ! postgres_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  else
    echo "PostgreSQL is not installed: apt-get install postgresql (or set DOCKWATCH_TEST_DBS=sqlite)" >&2
  fi
fi

if ! mosquitto_up; then
  if ! command -v mosquitto >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "installing mosquitto"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients; } >/dev/null 2>&1 || true
  fi
  if command -v mosquitto >/dev/null 2>&1; then
    echo "starting mosquitto on 127.0.0.1:1883"
    # Its default configuration: localhost only, anonymous, no persistence.
    mosquitto -d -p 1883 || true
  else
    echo "mosquitto is not installed: apt-get install mosquitto mosquitto-clients" >&2
  fi
fi

for _ in $(seq 1 30); do
  if redis_up && postgres_up && mosquitto_up; then break; fi
  sleep 1
done
redis_up || { echo "Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }
mosquitto_up || { echo "Mosquitto is not answering on 127.0.0.1:1883" >&2; exit 1; }
postgres_up || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
needs_postgres || exit 0
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" postgres 2>/dev/null | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" postgres >/dev/null
