#!/usr/bin/env bash
# with-postgres.sh CMD [ARGS…]: runs CMD with YICHA_TEST_DB set to the URL of
# a throwaway PostgreSQL cluster on loopback, and stops and removes the
# cluster afterwards. PostgreSQL is installed from Debian when missing. When
# YICHA_TEST_DB is already set, CMD simply runs against that database.
set -euo pipefail
if [ -n "${YICHA_TEST_DB:-}" ]; then exec "$@"; fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
	echo "installing postgresql" >&2
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
	bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

# PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

dir=$(mktemp -d /tmp/yicha-pg.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)
stop() {
	as_pg "$bindir/pg_ctl -D $dir/data -m immediate stop" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap stop EXIT
as_pg "$bindir/initdb -D $dir/data -A trust -U postgres -E UTF8 --locale=C.UTF-8" >"$dir/initdb.log" 2>&1 \
	|| { cat "$dir/initdb.log" >&2; exit 1; }
as_pg "$bindir/pg_ctl -D $dir/data -w -o \"-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off\" -l $dir/pg.log start" >/dev/null \
	|| { cat "$dir/pg.log" >&2; exit 1; }
export YICHA_TEST_DB="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
echo "throwaway PostgreSQL at $YICHA_TEST_DB" >&2
"$@"
