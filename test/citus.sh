#!/usr/bin/env bash
# pg_portrait on Citus: a coordinator and two workers on loopback, every
# workflow of the README and doc/ run on distributed tables and compared,
# row by row, with the same query on a local copy of the same data.
#
# Citus is found in CITUS_ROOT (a DESTDIR root holding
# usr/lib/postgresql/15/lib/citus.so, e.g. a `make install DESTDIR=...` of a
# Citus build) or installed in the system's PostgreSQL; without it the
# script prints a TAP skip.  It builds its own private copy of the server
# binaries with pg_portrait and Citus installed, in a temporary directory
# removed at exit, and touches no other cluster.  Run it with `make citus`
# (or by `make test`, which runs every script in test/).  Prints TAP lines.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/test/lib/tap.sh"
PGVER=15
SYSBIN=/usr/lib/postgresql/$PGVER/bin
PGBIN=${PGBIN:-$SYSBIN}

if [ -n "${CITUS_ROOT:-}" ]; then
	CITUS_LIB="$CITUS_ROOT/usr/lib/postgresql/$PGVER/lib"
	CITUS_SHARE="$CITUS_ROOT/usr/share/postgresql/$PGVER/extension"
else
	CITUS_LIB="/usr/lib/postgresql/$PGVER/lib"
	CITUS_SHARE="/usr/share/postgresql/$PGVER/extension"
fi
if [ ! -f "$CITUS_LIB/citus.so" ] || [ ! -f "$CITUS_SHARE/citus.control" ]; then
	echo "1..0 # SKIP Citus is not installed"
	exit 0
fi

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

WORK=$(mktemp -d /tmp/pg_portrait_citus.XXXXXX)
chmod 755 "$WORK"
NODES="coord w1 w2"
cleanup() {
	for node in $NODES; do
		if [ -f "$WORK/$node/postmaster.pid" ]; then
			as_pg "$INST/pg_ctl" -D "$WORK/$node" -m immediate -w stop >/dev/null 2>&1 || true
		fi
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

# a private installation: the server binaries, pg_portrait and Citus
prefix="$WORK/inst"
mkdir -p "$prefix/usr/lib/postgresql" "$prefix/usr/share/postgresql"
cp -a "/usr/lib/postgresql/$PGVER" "$prefix/usr/lib/postgresql/"
cp -a "/usr/share/postgresql/$PGVER" "$prefix/usr/share/postgresql/"
make -C "$ROOT" -s PG_CONFIG=$SYSBIN/pg_config install DESTDIR="$prefix" >/dev/null
cp "$CITUS_LIB"/citus*.so "$prefix/usr/lib/postgresql/$PGVER/lib/"
cp "$CITUS_SHARE"/citus* "$prefix/usr/share/postgresql/$PGVER/extension/"
INST="$prefix/usr/lib/postgresql/$PGVER/bin"

# three free loopback ports: the first that nothing listens on, from a
# start that depends on the process id so concurrent runs rarely collide
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORTS=()
p=$((20000 + ($$ % 2000) * 10))
while [ ${#PORTS[@]} -lt 3 ]; do
	port_free "$p" && PORTS+=("$p")
	p=$((p + 1))
done
declare -A PORT=([coord]=${PORTS[0]} [w1]=${PORTS[1]} [w2]=${PORTS[2]})

mkdir -p "$WORK/sock"
[ "$(id -u)" = 0 ] && chown postgres: "$WORK/sock"
for node in $NODES; do
	mkdir -p "$WORK/$node"
	[ "$(id -u)" = 0 ] && chown postgres: "$WORK/$node"
	as_pg "$INST/initdb" -D "$WORK/$node" -U postgres -E UTF8 --locale=C --auth=trust >"$WORK/initdb.log" 2>&1 ||
		{ cat "$WORK/initdb.log" >&2; exit 1; }
	# the workers run in UTC and the coordinator in another zone: a day
	# computed in the wrong zone shows as a difference
	zone=UTC
	[ "$node" = coord ] && zone=Asia/Shanghai
	cat >>"$WORK/$node/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		port = ${PORT[$node]}
		unix_socket_directories = '$WORK/sock'
		shared_preload_libraries = 'citus'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 64MB
		max_connections = 60
		timezone = '$zone'
		citus.log_remote_commands = off
	EOF
	touch "$WORK/$node.log"
	[ "$(id -u)" = 0 ] && chown postgres: "$WORK/$node.log"
	as_pg "$INST/pg_ctl" -D "$WORK/$node" -l "$WORK/$node.log" -w start >/dev/null ||
		{ cat "$WORK/$node.log" >&2; exit 1; }
done

export PGHOST=127.0.0.1 PGUSER=postgres
export PGOPTIONS="-c client_min_messages=warning"
on() { local node=$1; shift; PGPORT=${PORT[$node]} psql "$@"; }
DB=portrait_citus
for node in $NODES; do
	on "$node" -d postgres -c "CREATE DATABASE $DB"
	on "$node" -d $DB -c "CREATE EXTENSION citus" -c "CREATE EXTENSION pg_portrait"
done
on coord -d $DB -c "SELECT citus_set_coordinator_host('127.0.0.1', ${PORT[coord]})" >/dev/null
on coord -d $DB -c "SELECT citus_add_node('127.0.0.1', ${PORT[w1]})" -c "SELECT citus_add_node('127.0.0.1', ${PORT[w2]})" >/dev/null
export PGPORT=${PORT[coord]} PSQL_DB=$DB

if [ -n "${CITUS_HOLD:-}" ]; then
	echo "# coordinator: psql -h 127.0.0.1 -p ${PORT[coord]} -U postgres $DB (workers ${PORT[w1]}, ${PORT[w2]}); holding for $CITUS_HOLD s" >&2
	sleep "$CITUS_HOLD"
fi
