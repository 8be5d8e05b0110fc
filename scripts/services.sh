#!/usr/bin/env bash
# Install (Debian packages), start and stop the project's own PostgreSQL and Redis on loopback.
#   scripts/services.sh install|start|stop|status
# Data lives in .data/ (git-ignored). When DATABASE_URL / REDIS_URL in the environment point
# elsewhere than the defaults below, nothing is started for that service.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

PG_PORT=${HM_PG_PORT:-54329}
REDIS_PORT=${HM_REDIS_PORT:-63799}
DEFAULT_DATABASE_URL="postgres://hopsmanaged:hopsmanaged@127.0.0.1:${PG_PORT}/hopsmanaged"
DEFAULT_REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/0"
DATA="$ROOT/.data"
REDIS_DIR="$DATA/redis"

# The postgres binaries refuse to run as root; they run as the `postgres` system user, which must
# reach the data directory. A checkout under a private home falls back to /var/lib/hopsmanaged.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

pg_data_dir() {
  local local_dir="$DATA/postgres"
  if [ -f "$DATA/postgres.location" ]; then cat "$DATA/postgres.location"; return; fi
  mkdir -p "$DATA"
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$local_dir" && chown postgres:postgres "$local_dir"
    if runuser -u postgres -- test -w "$local_dir"; then
      echo "$local_dir" > "$DATA/postgres.location"
    else
      rmdir "$local_dir"
      local hash; hash=$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)
      echo "/var/lib/hopsmanaged/$hash/postgres" > "$DATA/postgres.location"
    fi
  else
    echo "$local_dir" > "$DATA/postgres.location"
  fi
  cat "$DATA/postgres.location"
}

uses_own_postgres() { [ "${DATABASE_URL:-$DEFAULT_DATABASE_URL}" = "$DEFAULT_DATABASE_URL" ]; }
uses_own_redis() { [ "${REDIS_URL:-$DEFAULT_REDIS_URL}" = "$DEFAULT_REDIS_URL" ]; }

install() {
  local missing=()
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]} (Debian packages)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

start_postgres() {
  uses_own_postgres || { echo "PostgreSQL: using DATABASE_URL from the environment"; return; }
  local bin dir; bin=$(pg_bin); dir=$(pg_data_dir)
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$(dirname "$dir")"
    as_postgres "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$dir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
CONF
  fi
  # A server already answering on the port (another checkout's) is used as it is.
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    :
  elif ! as_postgres "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
  fi
  as_postgres "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtA -c \
    "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='hopsmanaged') THEN
       CREATE ROLE hopsmanaged LOGIN SUPERUSER PASSWORD 'hopsmanaged'; END IF; END\$\$;" >/dev/null
  as_postgres "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtA -c \
    "SELECT 1 FROM pg_database WHERE datname='hopsmanaged'" | grep -q 1 ||
    as_postgres "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres -O hopsmanaged hopsmanaged
  echo "PostgreSQL: 127.0.0.1:$PG_PORT (data in $dir)"
}

start_redis() {
  uses_own_redis || { echo "Redis: using REDIS_URL from the environment"; return; }
  mkdir -p "$REDIS_DIR"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --daemonize yes \
      --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --save 60 1 >/dev/null
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "Redis: 127.0.0.1:$REDIS_PORT (data in $REDIS_DIR)"
}

stop() {
  local bin dir; bin=$(pg_bin)
  if [ -f "$DATA/postgres.location" ] && [ -n "$bin" ]; then
    dir=$(cat "$DATA/postgres.location")
    as_postgres "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 && echo "PostgreSQL stopped" || true
  fi
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 && echo "Redis stopped" || true
}

case "${1:-}" in
  install) install ;;
  start) install; start_postgres; start_redis ;;
  stop) stop ;;
  status)
    dir=$(pg_data_dir); as_postgres "$(pg_bin)/pg_ctl" -D "$dir" status || true
    redis-cli -p "$REDIS_PORT" ping || true ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
