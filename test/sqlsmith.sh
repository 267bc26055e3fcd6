#!/usr/bin/env bash
# sqlsmith.sh [N] — random SQL (sqlsmith) against pg_portrait on a running cluster.
#
# Runs N generated queries (default 5000; SQLSMITH_SEED picks the generator's
# seed, default 2, so the generated queries repeat, though which of them time
# out may differ) as a read-only role that sees small tables drawn from the
# sample data and only pg_portrait's functions plus a few helpers
# (test/sqlsmith/setup.sql).  Then it reads the server log written
# during the run: the server must not have crashed, and no error raised in
# pg_portrait's C code may be an internal one (class XX: elog, assertions).  The errors our functions did raise are listed as TAP comments,
# counted by SQLSTATE.
#
# Needs PGHOST/PGPORT/PGUSER of a running cluster, PGBIN, and SERVER_LOG (the
# server's log file); the database (SQLSMITH_DB, default portrait_test) must
# have pg_portrait, the sample data (schema demo) and the behaviour fixture.
# Prints TAP lines.  test/portrait.sh runs it in `test` (bounded) and in
# `sqlsmith` mode (the long run for release checks).
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-${SQLSMITH_QUERIES:-5000}}
SEED=${SQLSMITH_SEED:-2}
DB=${SQLSMITH_DB:-portrait_test}
LIMIT=${SQLSMITH_TIMEOUT:-$((120 + N / 20))}
: "${SERVER_LOG:?SERVER_LOG must name the server log}"
export PGOPTIONS="-c client_min_messages=warning"
PSQL_DB=$DB
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

echo "1..5"

psql -f "$ROOT/test/sqlsmith/setup.sql" >/dev/null
start=$(($(stat -c %s "$SERVER_LOG") + 1))
began=$(date +%s)
set +e
# sqlsmith reads only its own options; the connection goes through libpq's
# environment except for the role.  The server log keeps only the first 1 kB
# of a crashed query: SQLSMITH_KEEP=dir also keeps every generated query.
dump=()
[ -n "${SQLSMITH_KEEP:-}" ] && dump=(--dump-all-queries)
timeout "$LIMIT" sqlsmith --target="dbname=$DB user=portrait_smith" --seed="$SEED" \
	--exclude-catalog --verbose ${dump[@]+"${dump[@]}"} --max-queries="$N" >"$tmp/queries.sql" 2>"$tmp/sqlsmith.log"
rc=$?
set -e
took=$(($(date +%s) - began))
tail -c +"$start" "$SERVER_LOG" >"$tmp/server.log"

check "sqlsmith ran $N queries (seed $SEED) within ${LIMIT}s" "0" "$rc"
[ "$rc" -ne 0 ] && tail -n 20 "$tmp/sqlsmith.log" | sed 's/^/# /'
crashes=$(grep -cE "terminated by signal|PANIC:" "$tmp/server.log" || true)
check "the server did not crash" "0" "$crashes"
[ "$crashes" -ne 0 ] && grep -A3 -E "terminated by signal|PANIC:" "$tmp/server.log" | head -n 40 | sed 's/^/# /'
check "the server still answers" "1" "$(psql -c "SELECT 1" 2>&1)"

# Errors with their location (the role logs them verbosely): SQLSTATE, message,
# and the C file that raised it, for the errors raised in pg_portrait's files.
ours=$(find "$ROOT/src" -name '*.c' -printf '%f\n' | sort | paste -sd'|')
awk -v ours="^($ours)$" '
	match($0, /\[[0-9]+\] ERROR:  [0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]: /) {
		pid = $0; sub(/^[^[]*\[/, "", pid); sub(/\].*/, "", pid)
		msg[pid] = substr($0, RSTART + RLENGTH - 7); next
	}
	/\] LOCATION:  / {
		pid = $0; sub(/^[^[]*\[/, "", pid); sub(/\].*/, "", pid)
		if (pid in msg) {
			file = $NF; sub(/:[0-9]+$/, "", file)
			if (file ~ ours) print file "\t" msg[pid]
			delete msg[pid]
		}
	}' "$tmp/server.log" >"$tmp/ours.tsv"
bad=$(grep -cE $'\t''XX' "$tmp/ours.tsv" || true)
check "no internal errors (XX000) raised in pg_portrait's code" "0" "$bad"
grep -E $'\t''XX' "$tmp/ours.tsv" | sort | uniq -c | sort -rn | head -n 20 | sed 's/^/#   /' || true
errors=$(grep -cE "ERROR:  [0-9A-Z]{5}: " "$tmp/server.log" || true)
check "the queries reached pg_portrait's functions (errors raised in its code > 0)" "yes" \
	"$([ -s "$tmp/ours.tsv" ] && echo yes || echo no)"

queries=$(grep -oE "queries: [0-9]+" "$tmp/sqlsmith.log" | tail -n 1 | grep -oE "[0-9]+" || echo 0)
rate=$(grep -oE "error rate: [0-9.]+" "$tmp/sqlsmith.log" | tail -n 1 | grep -oE "[0-9.]+$" || echo "?")
echo "# $queries queries in ${took}s, error rate $rate, $errors errors logged; $(wc -l <"$tmp/ours.tsv") raised in pg_portrait's code, by SQLSTATE and message:"
cut -f2 "$tmp/ours.tsv" | sed -E 's/(.{0,110}).*/\1/' | sort | uniq -c | sort -rn | head -n 40 | sed 's/^/#   /'
if [ -n "${SQLSMITH_KEEP:-}" ]; then
	mkdir -p "$SQLSMITH_KEEP" && cp "$tmp"/* "$SQLSMITH_KEEP/"
	echo "# sqlsmith's output, the queries and the server log of the run are in $SQLSMITH_KEEP"
fi
