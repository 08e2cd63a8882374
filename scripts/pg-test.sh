#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for the market's tests. Installs Debian's `postgresql` when it
# is missing (as root), starts a cluster in $ZKINFER_PG_DIR (default /tmp/zkinfer-pg) on port
# $ZKINFER_PG_PORT (default 55432) unless one already answers there, and prints
#   export ZKINFER_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/postgres
# for `eval`. Logs go to stderr. Stop it with: pg_ctl -D /tmp/zkinfer-pg/data stop
set -euo pipefail
DIR=${ZKINFER_PG_DIR:-/tmp/zkinfer-pg}
PORT=${ZKINFER_PG_PORT:-55432}
URL="postgres://postgres@127.0.0.1:$PORT/postgres"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
BIN=$(find_bin || true)
if [[ -z "$BIN" || ! -x "$BIN/initdb" ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing Debian's postgresql" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
    BIN=$(find_bin)
  else
    echo "PostgreSQL is not installed and this user cannot install it (apt-get install postgresql as root)" >&2
    exit 1
  fi
fi

if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  echo "PostgreSQL already running on 127.0.0.1:$PORT" >&2
  echo "export ZKINFER_TEST_POSTGRES_URL=$URL"
  exit 0
fi

# PostgreSQL refuses to run as root: run it as the `postgres` user when we are root.
RUNAS=()
if [[ $(id -u) == 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DIR" postgres
  RUNAS=(runuser -u postgres --)
fi
rm -rf "$DIR"
mkdir -p "$DIR"
[[ $(id -u) == 0 ]] && chown postgres "$DIR"
"${RUNAS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >&2
"${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
  -o "-h 127.0.0.1 -p $PORT -k $DIR -c max_connections=400 -c shared_buffers=64MB" start >&2
echo "PostgreSQL started on 127.0.0.1:$PORT (data in $DIR/data)" >&2
echo "export ZKINFER_TEST_POSTGRES_URL=$URL"
