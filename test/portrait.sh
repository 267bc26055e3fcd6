#!/usr/bin/env bash
# portrait.sh MODE — set up, build, and run pg_portrait on a throwaway cluster.
#
#   demo   the demo portrait of the generated sample data
#   test   every pg_regress and pgTAP suite; ends with "N passed, N failed"
#   bench  the benchmarks in test/bench (BENCH=name.sh to run one)
#   sqlsmith  the long random-SQL run for release checks (test/sqlsmith.sh;
#          SQLSMITH_QUERIES, default 100000, and SQLSMITH_SEED)
#   citus  test/citus.sh alone: the workflows on a Citus coordinator and two
#          workers compared with a local copy (Citus from CITUS_ROOT or the
#          system; a skip without it); `test` runs it too
#
# PORTRAIT_SANITIZE=1 (with test or sqlsmith) loads a build of the extension
# with AddressSanitizer and UndefinedBehaviorSanitizer into the server (see
# doc/hardening-sanitize.md); every sanitizer report counts as a failure.
#
# It installs missing Debian packages (as root, or through sudo), builds,
# installs the extension into a private copy of the PostgreSQL 15 binaries
# (never the system's directories or cluster), runs initdb in a temporary
# directory, starts the server on a Unix socket there, and removes it all
# at exit.
set -euo pipefail

MODE=${1:-test}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGVER=15
PGBIN=/usr/lib/postgresql/$PGVER/bin
PACKAGES="postgresql-$PGVER postgresql-server-dev-$PGVER liblapack-dev libblas-dev libroaring-dev gcc make postgresql-$PGVER-pgtap libtap-parser-sourcehandler-pgtap-perl python3-psycopg2 postgresql-$PGVER-cron sqlsmith build-essential dpkg-dev debhelper postgresql-server-dev-all lintian default-jdk-headless libpostgresql-jdbc-java libjunixsocket-java chromium fonts-noto-cjk"

log() { printf '== %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

setup_packages() {
	local missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		log "installing:$missing"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
		# the server package must not create and start the machine's own cluster
		as_root mkdir -p /etc/postgresql-common/createcluster.d
		echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.d/50-pg-portrait.conf >/dev/null
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
	fi
}

build() {
	log "building"
	make -C "$ROOT" -s PG_CONFIG=$PGBIN/pg_config >/dev/null
}

# Private installation: a copy of the server binaries and share directory
# (PostgreSQL finds its share and lib directories relative to the binary),
# with the extension installed into it.
WORK=""
cleanup() {
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ -f "$WORK/data/postmaster.pid" ]; then
			run_pg "$INST/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1 || true
		fi
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# The sanitizer build: a copy of the sources built out of tree (the work
# tree's objects stay ordinary) and installed over the ordinary build.
SANITIZE=${PORTRAIT_SANITIZE:-}
SANITIZE_FLAGS="-fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer"
install_sanitized() {
	local prefix=$1 src="$WORK/sanitize-build"
	log "building with $SANITIZE_FLAGS"
	mkdir -p "$src"
	(cd "$ROOT" && tar cf - --exclude='*.o' --exclude='*.so' --exclude='*.bc' Makefile pg_portrait.control src update) |
		tar xf - -C "$src"
	make -C "$src" -s PG_CONFIG=$PGBIN/pg_config with_llvm=no COPT="$SANITIZE_FLAGS" >/dev/null
	make -C "$src" -s PG_CONFIG=$PGBIN/pg_config with_llvm=no install DESTDIR="$prefix" >/dev/null
	# JIT would inline the ordinary build's bitcode instead of the instrumented code
	rm -rf "$prefix/usr/lib/postgresql/$PGVER/lib/bitcode/pg_portrait"*
	mkdir -p "$WORK/sanitizer"
	[ "$(id -u)" = 0 ] && chown postgres: "$WORK/sanitizer"
	# with libasan preloaded glibc's bindtextdomain() hangs the postmaster's
	# start: the tests need no message catalogues, so it gets a stub
	gcc -shared -fPIC -O2 -o "$src/nls_stub.so" "$ROOT/test/sanitize/nls_stub.c"
	# the postmaster is not instrumented: the runtime comes in by LD_PRELOAD;
	# leaks are not checked (a backend frees its memory by exiting)
	SERVER_ENV=(env "LD_PRELOAD=$(gcc -print-file-name=libasan.so):$src/nls_stub.so"
		"ASAN_OPTIONS=detect_leaks=0:detect_stack_use_after_return=0:detect_odr_violation=0:abort_on_error=0:log_path=$WORK/sanitizer/asan"
		"UBSAN_OPTIONS=print_stacktrace=1:log_path=$WORK/sanitizer/ubsan")
}
SERVER_ENV=()

# Sanitizer reports written so far (one file per process that reported).
sanitizer_reports() {
	local f count=0
	for f in "$WORK"/sanitizer/*; do
		[ -s "$f" ] || continue
		count=$((count + $(grep -cE "ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer" "$f" || true)))
	done
	echo "$count"
}

# The server's tools run as postgres, which may not be allowed into the
# directory make was started from (a clone under /root, say): they start in /.
run_pg() {
	if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

start_cluster() {
	WORK=$(mktemp -d /tmp/pg_portrait.XXXXXX)
	chmod 755 "$WORK"
	local prefix="$WORK/inst"
	mkdir -p "$prefix/usr/lib/postgresql" "$prefix/usr/share/postgresql"
	cp -a "/usr/lib/postgresql/$PGVER" "$prefix/usr/lib/postgresql/"
	cp -a "/usr/share/postgresql/$PGVER" "$prefix/usr/share/postgresql/"
	make -C "$ROOT" -s PG_CONFIG=$PGBIN/pg_config install DESTDIR="$prefix" >/dev/null
	[ -n "$SANITIZE" ] && install_sanitized "$prefix"
	INST="$prefix/usr/lib/postgresql/$PGVER/bin"

	mkdir -p "$WORK/data" "$WORK/sock"
	[ "$(id -u)" = 0 ] && chown postgres: "$WORK/data" "$WORK/sock"
	log "starting a throwaway cluster in $WORK"
	run_pg "$INST/initdb" -D "$WORK/data" -U postgres -E UTF8 --locale=C --auth=trust >"$WORK/initdb.log" 2>&1 ||
		{ cat "$WORK/initdb.log"; exit 1; }
	cat >>"$WORK/data/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$WORK/sock'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 512MB
		work_mem = 64MB
		maintenance_work_mem = 256MB
		max_wal_size = 4GB
		timezone = 'Asia/Shanghai'
		${EXTRA_CONF:-}
	EOF
	[ -n "$SANITIZE" ] && echo "jit = off" >>"$WORK/data/postgresql.conf"
	if [ "$MODE" = test ]; then
		# the scheduling test: pg_cron runs its jobs in the test database over the socket
		cat >>"$WORK/data/postgresql.conf" <<-EOF
			shared_preload_libraries = 'pg_cron'
			cron.database_name = 'portrait_test'
			cron.host = '$WORK/sock'
		EOF
	fi
	touch "$WORK/server.log"
	[ "$(id -u)" = 0 ] && chown postgres: "$WORK/server.log"
	run_pg ${SERVER_ENV[@]+"${SERVER_ENV[@]}"} "$INST/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w start >/dev/null
	export PGHOST="$WORK/sock" PGPORT=5432 PGUSER=postgres
}

psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

load_sample() {
	local db=$1 size=${2:-50000}
	log "generating the sample data set ($size customers) in $db"
	psql_q -d "$db" -v customers="$size" -v seed=42 -f "$ROOT/test/data/sample.sql" >/dev/null
}

run_demo() {
	psql_q -d postgres -c "CREATE DATABASE portrait_demo"
	psql_q -d portrait_demo -c "CREATE EXTENSION pg_portrait"
	load_sample portrait_demo "${DEMO_CUSTOMERS:-50000}"
	# one session: later parts read the temp tables of test/demo/portrait.sql
	local parts=(-f "$ROOT/test/demo/portrait.sql")
	for f in "$ROOT"/test/demo/*.sql; do
		[ "$(basename "$f")" = portrait.sql ] || parts+=(-f "$f")
	done
	psql_q -d portrait_demo -P footer=off "${parts[@]}"
	# the portrait as one page, drawn from the BI views (kept: the cluster is not)
	local page="$ROOT/test/demo/out/portrait.html"
	mkdir -p "$(dirname "$page")"
	/usr/bin/python3 "$ROOT/test/demo/picture.py" portrait_demo "$page"
	echo
	echo "== The portrait as a page (open it in a browser): $page"
}

# portrait_test: pgtap, pg_portrait, the sample data and the fixtures.
create_test_db() {
	psql_q -d postgres -c "CREATE DATABASE portrait_test"
	psql_q -d portrait_test -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION pg_portrait"
	load_sample portrait_test "${TEST_CUSTOMERS:-50000}"
	for f in "$ROOT"/test/fixtures/*.sql; do
		psql_q -d portrait_test -f "$f" >/dev/null
	done
}

run_tests() {
	local passed=0 failed=0 out rc

	log "pg_regress suites"
	set +e
	out=$(make -C "$ROOT" -s PG_CONFIG=$PGBIN/pg_config installcheck 2>&1)
	rc=$?
	set -e
	printf '%s\n' "$out"
	passed=$((passed + $(printf '%s\n' "$out" | grep -cE '\.\.\. ok' || true)))
	failed=$((failed + $(printf '%s\n' "$out" | grep -cE '\.\.\. FAILED' || true)))
	if [ $rc -ne 0 ] && [ -f "$ROOT/regression.diffs" ]; then
		head -n 200 "$ROOT/regression.diffs"
	fi
	[ $rc -ne 0 ] && [ $failed -eq 0 ] && failed=1

	log "pgTAP suites"
	create_test_db
	set +e
	out=$(cd "$ROOT" && pg_prove --verbose -d portrait_test test/*.sql 2>&1)
	rc=$?
	set -e
	printf '%s\n' "$out" | grep -vE '^ok ' || true
	# every assertion is one test; planned-but-not-run ones and files that died count as failed
	local ok notok missing died
	ok=$(printf '%s\n' "$out" | grep -cE '^ok ' || true)
	notok=$(printf '%s\n' "$out" | grep -cE '^not ok ' || true)
	missing=$(printf '%s\n' "$out" | sed -n 's/.*You planned \([0-9]*\) tests but ran \([0-9]*\).*/\1 \2/p' |
		awk '{ if ($1 > $2) s += $1 - $2 } END { print s + 0 }')
	died=$(printf '%s\n' "$out" | grep -c 'No plan found' || true)
	passed=$((passed + ok))
	failed=$((failed + notok + missing + died))
	if [ $rc -ne 0 ] && [ $((notok + missing + died)) -eq 0 ]; then
		failed=$((failed + 1))
	fi

	# scripts that print TAP against the running cluster (dump and restore, updates,
	# concurrent sessions, a client driver, a scheduled job, a bounded random-SQL run)
	local script
	export PORTRAIT_KILLED_PIDS="$WORK/killed_pids"
	: >"$PORTRAIT_KILLED_PIDS"
	for script in "$ROOT"/test/*.sh "$ROOT"/test/*.py; do
		[ "$(basename "$script")" = portrait.sh ] && continue
		log "$(basename "$script")"
		set +e
		out=$(PGBIN=$PGBIN SERVER_LOG="$WORK/server.log" "$script" 2>&1)
		rc=$?
		set -e
		printf '%s\n' "$out"
		passed=$((passed + $(printf '%s\n' "$out" | grep -cE '^ok ' || true)))
		failed=$((failed + $(printf '%s\n' "$out" | grep -cE '^not ok ' || true)))
		[ $rc -ne 0 ] && failed=$((failed + 1))
		# a script that crashed the server on purpose leaves it to recover first
		for _ in $(seq 1 300); do
			psql_q -d postgres -c "SELECT 1" >/dev/null 2>&1 && break
			sleep 0.2
		done
	done

	check_server
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ]
}

# Crashes in the server log and sanitizer reports each add to $failed.
check_server() {
	# a crash is a failure, except the backends test/crash_refresh.sh kills on purpose
	local crashes
	crashes=$(grep "terminated by signal" "$WORK/server.log" |
		grep -v -F -f <(sed 's/.*/(PID &)/' "${PORTRAIT_KILLED_PIDS:-/dev/null}") || true)
	if [ -n "$crashes" ]; then
		log "the server crashed:"
		printf '%s\n' "$crashes" >&2
		failed=$((failed + 1))
	fi
	if [ -n "$SANITIZE" ]; then
		local reports
		reports=$(sanitizer_reports)
		log "sanitizer reports: $reports"
		if [ "$reports" -ne 0 ]; then
			cat "$WORK"/sanitizer/* | head -n 300 >&2
			failed=$((failed + reports))
		fi
	fi
}

# run_tap SCRIPT ARGS: run a script that prints TAP, show its output, and
# set passed and failed (a script that exits non-zero is one failure more).
run_tap() {
	local out rc
	set +e
	out=$(PGBIN=$PGBIN SERVER_LOG="${WORK:+$WORK/server.log}" "$@" 2>&1)
	rc=$?
	set -e
	printf '%s\n' "$out"
	passed=$(printf '%s\n' "$out" | grep -cE '^ok ' || true)
	failed=$(printf '%s\n' "$out" | grep -cE '^not ok ' || true)
	[ $rc -ne 0 ] && failed=$((failed + 1))
	return 0
}

# The long random-SQL run (release checks) on the test database's data.
run_sqlsmith() {
	local passed=0 failed=0
	create_test_db
	run_tap "$ROOT/test/sqlsmith.sh" "${SQLSMITH_QUERIES:-100000}"
	check_server
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ]
}

# test/citus.sh starts its own coordinator and workers: no cluster here.
run_citus() {
	local passed=0 failed=0
	run_tap "$ROOT/test/citus.sh"
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ]
}

run_bench() {
	psql_q -d postgres -c "CREATE DATABASE portrait_bench"
	psql_q -d portrait_bench -c "CREATE EXTENSION pg_portrait"
	for b in "$ROOT"/test/bench/${BENCH:-*.sh}; do
		log "benchmark $(basename "$b")"
		ROOT="$ROOT" PSQL="$PGBIN/psql" DB=portrait_bench bash "$b"
	done
}

setup_packages
build
case "$MODE" in
	demo) start_cluster; run_demo ;;
	test) start_cluster; run_tests ;;
	bench) start_cluster; run_bench ;;
	sqlsmith) start_cluster; run_sqlsmith ;;
	citus) run_citus ;;
	*) echo "usage: $0 demo|test|bench|sqlsmith|citus" >&2; exit 2 ;;
esac
