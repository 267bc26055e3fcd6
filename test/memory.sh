#!/usr/bin/env bash
# Memory: a scoring function over 10M rows keeps the backend's memory flat.
#
# Each function runs in a fresh backend, first over 100k rows (which warms the
# caches: the parsed model, the segment map), then over 10M rows.  The peak
# resident size of the backend (VmHWM in /proc/<pid>/status, read on this
# machine through psql's \!) may grow by at most MEMORY_BOUND_KB from the small
# run to the 10M run, and the server's own memory accounting
# (pg_backend_memory_contexts) must not grow between the runs: a leak of
# 2 bytes a row would show as 20 MB.  The rows come from generate_series in
# the select list (value per call), so no tuplestore holds them.
# Prints TAP lines; needs PGHOST/PGPORT/PGUSER of a running cluster on this
# machine and PGBIN.
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
export PGOPTIONS="-c client_min_messages=warning -c max_parallel_workers_per_gather=0 -c jit=off"
MEMORY_BOUND_KB=${MEMORY_BOUND_KB:-8192}
SMALL=${MEMORY_SMALL_ROWS:-100000}
LARGE=${MEMORY_LARGE_ROWS:-10000000}
DB=memory_test

psql -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -d $DB <<'SQL'
CREATE EXTENSION pg_portrait;
CREATE TABLE models (kind text PRIMARY KEY, m portrait.model);
INSERT INTO models
SELECT 'rfm', portrait.rfm_breaks(g % 97, 1 + g % 7, g * 1.5) FROM generate_series(1, 1000) g;
INSERT INTO models
SELECT 'kmeans', portrait.kmeans_fit(ARRAY[g % 13, g % 7, g % 5]::float8[], 8, '{"seed": 1}') FROM generate_series(1, 2000) g;
-- large enough to be stored out of line: a TOAST pointer on every row
INSERT INTO models
SELECT 'kmeans_big', portrait.kmeans_fit(ARRAY(SELECT sin(g * j) FROM generate_series(1, 20) j), 300,
                                         '{"seed": 1, "n_init": 1, "max_iter": 5}')
FROM generate_series(1, 3000) g;
INSERT INTO models VALUES
  ('bgnbd', '{"kind": "bgnbd", "format": 1, "r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}'),
  ('gamma_gamma', '{"kind": "gamma_gamma", "format": 1, "p": 6.25, "q": 3.74, "gamma": 15.44}');
INSERT INTO models
SELECT 'logit', portrait.logit_fit(g % 3 = 0 OR g % 7 = 0, ARRAY[g % 11, (g * 3) % 5]::float8[]) FROM generate_series(1, 500) g;
-- a forest stored out of line; a tree with a NULL-routing split
INSERT INTO models
SELECT 'isolation_forest', portrait.iforest_fit(ARRAY[g % 13, g % 7, g % 5]::float8[], '{"seed": 1, "n_trees": 100}') FROM generate_series(1, 2000) g;
INSERT INTO models
SELECT 'decision_tree', portrait.decision_tree_fit(ARRAY[g % 13, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 7 END]::float8[], (g % 3)::text)
FROM generate_series(1, 2000) g;
SQL

# name | select-list expression of g (the row number) and the models
declare -a NAMES EXPRS JOINS SCALES
add() { NAMES+=("$1"); EXPRS+=("$2"); JOINS+=("${3:-}"); SCALES+=("${4:-1}"); }
M() { echo "(SELECT m FROM models WHERE kind = '$1')"; }
add "rfm_score with a model" "portrait.rfm_score(g % 400, 1 + g % 9, g % 1000 * 1.5, $(M rfm))::text"
add "rfm_score with a model and a map" "portrait.rfm_score(g % 400, 1 + g % 9, g % 1000 * 1.5, $(M rfm), 'cn8')::text"
add "rfm_segment" "portrait.rfm_segment(1 + g % 5, 1 + g % 4, 1 + g % 3)"
add "rfm_segment with a model" "portrait.rfm_segment(1 + g % 5, 1 + g % 4, 1 + g % 3, 'cn8', $(M rfm))"
add "kmeans_assign" "portrait.kmeans_assign(ARRAY[g % 13, g % 7, g % 5]::float8[], $(M kmeans))"
add "kmeans_distance" "portrait.kmeans_distance(ARRAY[g % 13, g % 7, g % 5]::float8[], $(M kmeans))"
add "kmeans_scale" "portrait.kmeans_scale(ARRAY[g % 13, g % 7, g % 5]::float8[], $(M kmeans))"
add "kmeans_assign with a TOASTed model joined per row" \
	"portrait.kmeans_assign(array_fill((g % 10)::float8, ARRAY[20]), mb.m)" ", models mb WHERE mb.kind = 'kmeans_big'"
add "p_alive" "portrait.p_alive(g % 10, g % 10 * 3, 40, $(M bgnbd))"
add "churn_risk (bgnbd)" "portrait.churn_risk(g % 10, g % 10 * 3, 40, $(M bgnbd))"
add "expected_purchases" "portrait.expected_purchases($(M bgnbd), 30, g % 10, g % 10 * 3, 40)"
add "expected_purchases of a new customer" "portrait.expected_purchases($(M bgnbd), g % 100)"
add "prob_purchases" "portrait.prob_purchases($(M bgnbd), 30, g % 5)"
add "bgnbd_loglik" "portrait.bgnbd_loglik(g % 10, g % 10 * 3, 40, $(M bgnbd))"
add "expected_avg_value" "portrait.expected_avg_value($(M gamma_gamma), g % 10, 20 + g % 30)"
add "clv" "portrait.clv($(M bgnbd), $(M gamma_gamma), g % 10, g % 10 * 3, 40, 20 + g % 30, 3)"
add "churn_risk (logit)" "portrait.churn_risk(ARRAY[g % 11, g % 5]::float8[], $(M logit))"
add "anomaly_score with a TOASTed forest joined per row" \
	"portrait.anomaly_score(ifo.m, ARRAY[g % 13, g % 7, g % 5]::float8[])" ", models ifo WHERE ifo.kind = 'isolation_forest'" 10
add "anomaly_robust_z" "portrait.anomaly_robust_z($(M isolation_forest), ARRAY[g % 13, g % 7, g % 5]::float8[])"
add "tree_predict with NULL features" "portrait.tree_predict($(M decision_tree), ARRAY[g % 13, CASE WHEN g % 3 = 0 THEN NULL ELSE g % 7 END]::float8[])"
add "tree_probability" "portrait.tree_probability($(M decision_tree), ARRAY[g % 13, g % 7]::float8[], '1')"
# PL/pgSQL: a fifth of the rows keeps its time near the others'
add "lifecycle_stage with a bgnbd model" \
	"portrait.lifecycle_stage(g % 400, 500 + g % 100, g % 5, g % 300, NULL, '{\"mode\": \"rhythm\"}', $(M bgnbd))" "" 5

n=0
echo "1..$((2 * ${#NAMES[@]}))"
for i in "${!NAMES[@]}"; do
	name=${NAMES[$i]}
	expr=${EXPRS[$i]}
	from="FROM (SELECT generate_series(1, :rows) AS g) s ${JOINS[$i]}"
	small=$((SMALL / SCALES[$i]))
	large=$((LARGE / SCALES[$i]))
	out=$(psql -d $DB -F ' ' <<-SQL
		SELECT pg_backend_pid() AS pid \gset
		\setenv BACKEND_PID :pid
		\set rows $small
		SELECT count($expr) $from \g /dev/null
		SELECT sum(total_bytes) AS ctx1 FROM pg_backend_memory_contexts \gset
		\! awk '/VmHWM/ { printf "%s ", \$2 }' /proc/\$BACKEND_PID/status
		\set rows $large
		SELECT count($expr) $from \g /dev/null
		SELECT sum(total_bytes) AS ctx2 FROM pg_backend_memory_contexts \gset
		\! awk '/VmHWM|VmRSS/ { printf "%s ", \$2 }' /proc/\$BACKEND_PID/status
		\echo :ctx1 :ctx2
	SQL
	)
	read -r hwm1 hwm2 rss2 ctx1 ctx2 <<<"$(echo $out)"
	grow=$((hwm2 - hwm1))
	n=$((n + 1))
	if [ -n "${PORTRAIT_SANITIZE:-}" ]; then
		# AddressSanitizer keeps freed memory in quarantine (256 MB), so resident size
		# says nothing there; the memory-context check below still holds
		echo "ok $n - $name: peak RSS +${grow} kB # SKIP resident size under AddressSanitizer"
	else
		if [ "$grow" -le "$MEMORY_BOUND_KB" ]; then r=ok; else r="not ok"; fi
		echo "$r $n - $name: peak RSS ${hwm1} kB after $small rows, ${hwm2} kB after $large rows (+${grow} kB)"
	fi
	n=$((n + 1))
	if [ "$ctx2" -le "$ctx1" ]; then r=ok; else r="not ok"; fi
	echo "$r $n - $name: memory contexts ${ctx1} bytes after $small rows, ${ctx2} bytes after $large rows"
done
psql -d postgres -c "DROP DATABASE $DB"
