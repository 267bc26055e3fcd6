#!/usr/bin/env bash
# Cancellation: every function that can run long stops soon after
# pg_cancel_backend and after statement_timeout, with SQLSTATE 57014.
#
# Each query is built to spend its time inside pg_portrait's C code (a fit's
# final function, a pair loop, a sort, or transition functions over tens of
# millions of rows), not in a plain scan.  For each one: start it in a
# background session, wait until the server shows the statement running,
# cancel it from a second session CANCEL_AFTER seconds later and check that it
# ended within the bound of the cancel (timed from the server's clock when the
# cancel is sent); then run it again under statement_timeout and check that it
# ended within the bound of the timeout (less the time psql takes to start and
# set the timeout, measured first).
#
# Nothing here depends on how fast the machine is: every query runs for
# several seconds uncancelled on the machine the sizes were chosen on (9 s or
# more, most far longer: optimisers without a tolerance, n_init = 1000),
# so it is still running at the cancel on a machine four times faster; and
# the bound is CANCEL_BOUND seconds times the machine's slowness against that
# machine (a fixed piece of work timed first, never less than 1), so a
# machine four times slower, or busy, gets a proportionally longer bound,
# while a loop without interrupt checks still overshoots it by far.
# Prints TAP lines and the measured delays; needs PGHOST/PGPORT/PGUSER of a
# running cluster and PGBIN.
set -euo pipefail
export PGOPTIONS="-c client_min_messages=warning"
CANCEL_AFTER=${CANCEL_AFTER:-0.8}
CANCEL_BOUND=${CANCEL_BOUND:-1.0}
# seconds the calibration work below took on the machine the sizes were chosen on
CANCEL_CALIBRATION=${CANCEL_CALIBRATION:-0.35}
DB=cancel_test
psql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }

psql -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -d $DB <<'SQL'
CREATE EXTENSION pg_portrait;
-- 300k two-dimensional points, 1M customers with distinct (x, t_x, T),
-- 20k rows of 200 features, one customer with 2M events (multiplied by
-- generate_series below where a query needs more rows to run long)
CREATE TABLE pts AS
SELECT g AS id, ARRAY[(g * 7919::bigint) % 1000 / 10.0, (g * 104729::bigint) % 997 / 10.0]::float8[] AS f
FROM generate_series(1, 300000) g;
CREATE TABLE cust AS
SELECT g AS id, (g % 20)::float8 AS x,
       CASE WHEN g % 20 = 0 THEN 0 ELSE 1 + ((g * 7919::bigint) % 290000) / 1000.0 END AS t_x,
       300 + ((g * 104729::bigint) % 600000) / 10000.0 AS "T",
       5 + ((g * 13::bigint) % 50000) / 100.0 AS avg_value
FROM generate_series(1, 1000000) g;
CREATE TABLE wide AS
SELECT g AS id, (g * 7) % 11 < 5 AS label,
       ARRAY(SELECT sin(g * j + j * j) FROM generate_series(1, 200) j) AS f
FROM generate_series(1, 20000) g;
CREATE TABLE ev AS
SELECT 1 AS customer_id, timestamptz '2024-01-01' + ((g * 7919::bigint) % 2000000) * interval '1 second' AS ts,
       g % 3 AS step
FROM generate_series(1, 2000000) g;
CREATE VIEW pts_cols AS SELECT id % 3 = 0 OR f[1] > 50 AS label, f[1] AS a, f[2] AS b FROM pts, generate_series(1, 4);
CREATE TABLE prof (customer_id int PRIMARY KEY, v int);
ANALYZE;
SQL

declare -a NAMES SQLS
# CANCEL_ONLY=regex keeps the queries whose name matches (to check one family's)
add() {
	[ -n "${CANCEL_ONLY:-}" ] && ! [[ $1 =~ $CANCEL_ONLY ]] && return
	NAMES+=("$1"); SQLS+=("$2")
}
add "kmeans_fit (k-means++ and Lloyd in the final function)" \
	"SELECT portrait.kmeans_fit(f, 300, '{\"n_init\": 1000, \"max_iter\": 100000, \"tol\": 0, \"seed\": 1}') FROM pts"
add "kmeans_fit with random init and Lloyd's algorithm" \
	"SELECT portrait.kmeans_fit(f, 2000, '{\"n_init\": 1000, \"init\": \"random\", \"algorithm\": \"lloyd\", \"max_iter\": 100000, \"tol\": 0, \"seed\": 1}') FROM pts"
add "kmeans_train (streaming trainer)" \
	"SELECT portrait.kmeans_train('pts'::regclass, 'f', 500, '{\"max_iter\": 100000, \"tol\": 0, \"seed\": 1}')"
add "dbscan_fit (k-d tree counts over 100 features that never reach min_samples)" \
	"SELECT portrait.dbscan_fit(id, f[1:100], 8, 1000000, '{\"standardize\": false}') FROM wide"
add "hclust_fit ward (nearest-neighbour chain over 50k rows)" \
	"SELECT portrait.hclust_fit(id, f, 'ward') FROM pts WHERE id <= 50000"
add "hclust_fit single (Prim's tree over 50k rows)" \
	"SELECT portrait.hclust_fit(id, f, 'single') FROM pts WHERE id <= 50000"
add "silhouette (exact pair loop)" \
	"SELECT portrait.silhouette(f, (id % 7)::int, 100000) FROM pts"
add "bgnbd_fit (optimiser over 1M customers)" \
	"SELECT portrait.bgnbd_fit(x, t_x, \"T\", '{\"max_iterations\": 10000, \"gradient\": \"numeric\"}') FROM cust"
add "mbgnbd_fit (optimiser over 1M customers)" \
	"SELECT portrait.mbgnbd_fit(x, t_x, \"T\", '{\"max_iterations\": 10000, \"gradient\": \"numeric\"}') FROM cust"
add "pareto_nbd_fit (optimiser over 1M customers, 2F1 per row)" \
	"SELECT portrait.pareto_nbd_fit(x, t_x, \"T\", '{\"max_iterations\": 10000}') FROM cust"
add "btyd_compare (three fits and the holdout over 1M customers)" \
	"SELECT portrait.btyd_compare(x, t_x, \"T\", x, 30, '{\"max_iterations\": 10000}') FROM cust"
add "gamma_gamma_fit (optimiser over 15M customers)" \
	"SELECT portrait.gamma_gamma_fit(x, avg_value, '{\"max_iterations\": 10000, \"gradient\": \"numeric\"}') FROM cust, generate_series(1, 16) WHERE x > 0"
add "logit_fit (IRLS, 100k rows of 200 features)" \
	"SELECT portrait.logit_fit(label, f, '{\"max_iter\": 1000, \"tol\": 1e-300}') FROM wide, generate_series(1, 5)"
add "logit_train (streaming trainer)" \
	"SELECT portrait.logit_train('pts_cols'::regclass, 'label', ARRAY['a', 'b'], '{\"max_iter\": 1000, \"tol\": 1e-300}')"
add "rfm_breaks (50 cut points of 15M rows)" \
	"SELECT portrait.rfm_breaks(g % 1000, g % 17, g * 1.5, 50) FROM generate_series(1, 15000000) g"
add "window_funnel (40M events of one customer)" \
	"SELECT portrait.window_funnel('1 day', ts, step = 0, step = 1, step = 2) FROM ev, generate_series(1, 20) GROUP BY customer_id"
add "sequence_match (32M events of one customer)" \
	"SELECT portrait.sequence_match('(?1).*(?2)(?t<=5)(?3)(?t==1)(?1)(?t==0)(?3)', ts, step = 0, step = 1, step = 2) FROM ev, generate_series(1, 16) GROUP BY customer_id"
add "sequence_count (40M events of one customer)" \
	"SELECT portrait.sequence_count('(?1)(?2)', ts, step = 0, step = 1) FROM ev, generate_series(1, 20) GROUP BY customer_id"
add "iforest_fit (5M rows sorted, 10000 trees)" \
	"SELECT portrait.iforest_fit(ARRAY[g % 1000, g % 17]::float8[], '{\"n_trees\": 10000}') FROM generate_series(1, 5000000) g"
add "decision_tree_fit (100k rows of 200 features, depth 30)" \
	"SELECT portrait.decision_tree_fit(f, (id % 5)::text, '{\"max_depth\": 30}') FROM wide, generate_series(1, 5)"
add "refresh_profile" \
	"CALL portrait.refresh_profile('prof', 'SELECT g AS customer_id, g % 7 AS v FROM generate_series(1, 100000000) g')"

n=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
# seconds between two timestamps, to milliseconds
span() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
within() { awk -v d="$1" -v b="$2" 'BEGIN { exit !(d <= b) }'; }

# what starting psql and setting the timeout cost, taken off the statement_timeout delays
base=9
for _ in 1 2 3; do
	t0=$(now)
	"$PGBIN/psql" -X -q -At -d $DB -c "SET statement_timeout = '${CANCEL_AFTER}s'" -c "SELECT 1" >/dev/null
	t1=$(now)
	base=$(awk -v b="$base" -v d="$(span "$t0" "$t1")" 'BEGIN { print (d < b ? d : b) }')
done

# how much slower than the reference machine this one is now (never counted faster)
calib=9
for _ in 1 2 3; do
	t0=$(now)
	"$PGBIN/psql" -X -q -At -d $DB -c "SELECT sum(sqrt(g)) FROM generate_series(1, 2000000) g" >/dev/null
	t1=$(now)
	calib=$(awk -v b="$calib" -v d="$(span "$t0" "$t1")" 'BEGIN { print (d < b ? d : b) }')
done
bound=$(awk -v c="$calib" -v r="$CANCEL_CALIBRATION" -v b="$CANCEL_BOUND" 'BEGIN { f = c / r; if (f < 1) f = 1; printf "%.3f", b * f }')

echo "1..$((2 * ${#NAMES[@]}))"
echo "# calibration work took ${calib}s (${CANCEL_CALIBRATION}s on the reference machine): bound ${bound}s"
# One measurement of query i: "<sqlstate> <delay> <state at cancel>", the delay timed
# from the cancel (server clock) or from the timeout (less psql's start-up).
measure() {
	local i=$1 mode=$2 app="cancel_test_$1" t0 t1 state="active" bg
	if [ "$mode" = cancel ]; then
		PGAPPNAME=$app "$PGBIN/psql" -X -q -At -d $DB -v VERBOSITY=verbose \
			-c "SET statement_timeout = '60s'" -c "${SQLS[$i]}" >"$tmp/out" 2>"$tmp/err" &
		bg=$!
		# the clock starts when the statement is seen running, not when psql starts
		for _ in $(seq 1 200); do
			[ "$(psql -d $DB -c "SELECT count(*) FROM pg_stat_activity
			                       WHERE application_name = '$app' AND state = 'active' AND query NOT LIKE 'SET %'")" != 0 ] && break
			kill -0 $bg 2>/dev/null || break
			sleep 0.05
		done
		read -r state t0 < <(psql -d $DB -F ' ' -c "SELECT pg_sleep($CANCEL_AFTER)" \
			-c "SELECT coalesce(min(state), 'gone'), extract(epoch FROM clock_timestamp()), bool_and(pg_cancel_backend(pid))
			    FROM pg_stat_activity WHERE application_name = '$app' AND backend_type = 'client backend'" | tail -1)
		wait $bg || true
		t1=$(now)
		d=$(span "$t0" "$t1")
	else
		t0=$(now)
		"$PGBIN/psql" -X -q -At -d $DB -v VERBOSITY=verbose \
			-c "SET statement_timeout = '${CANCEL_AFTER}s'" -c "${SQLS[$i]}" >"$tmp/out" 2>"$tmp/err" || true
		t1=$(now)
		d=$(awk -v d="$(span "$t0" "$t1")" -v a="$CANCEL_AFTER" -v b="$base" 'BEGIN { printf "%.3f", d - a - b }')
	fi
	code=$(grep -o -m1 -E 'ERROR:  [0-9A-Z]{5}' "$tmp/err" | cut -c9- || true)
	echo "${code:-none} $d $state"
}

# A delay over the bound is measured once more: on a shared machine a single
# run can lose the CPU; a loop without interrupt checks fails both times.
for i in "${!NAMES[@]}"; do
	for mode in cancel timeout; do
		read -r code d state < <(measure "$i" $mode)
		tries="$d"
		if [ "$code" = 57014 ] && [ "$state" = active ] && ! within "$d" "$bound"; then
			read -r code d state < <(measure "$i" $mode)
			tries="$tries, then $d"
		fi
		res=1
		if [ "$code" = 57014 ] && [ "$state" = active ] && within "$d" "$bound"; then res=0; fi
		if [ $mode = cancel ]; then
			ok $res "${NAMES[$i]}: pg_cancel_backend after ${CANCEL_AFTER}s stops it in ${tries}s"
		else
			ok $res "${NAMES[$i]}: statement_timeout of ${CANCEL_AFTER}s stops it ${tries}s late"
		fi
		[ $res = 0 ] || { echo "#   SQLSTATE $code, state at cancel: $state"; sed 's/^/#   /' "$tmp/err" | head -5; }
	done
done
[ -n "${CANCEL_KEEP_DB:-}" ] || psql -d postgres -c "DROP DATABASE $DB"
