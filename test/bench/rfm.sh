#!/usr/bin/env bash
# RFM benchmark: the plain-SQL pipeline a data engineer writes by hand against
# pg_portrait's, on the same generated data, in one run.
#   (a) GROUP BY + three ntile(5) windows + an 11-way CASE
#       vs rfm_summary -> rfm_score (segment included), in one statement
#       (the window form) and through a stored rfm_breaks model
#   (b) rfm_summary alone vs a bare GROUP BY with count/max/sum
# Run on several shapes of data, so that a speed-up is not tuned to one
# generator: test/data/sample.sql's, and shapes.sql's with more one-order
# customers, fewer distinct days and wider amounts.
# Environment: ROOT, PSQL, DB (from test/portrait.sh bench); BENCH_CUSTOMERS
# (default 200000); BENCH_RUNS (default 5, best run kept); BENCH_SHAPES, a
# space-separated list of "sample" and name:one_share:days:sigma:orders
# (shapes.sql's parameters).
set -euo pipefail
CUSTOMERS=${BENCH_CUSTOMERS:-200000}
RUNS=${BENCH_RUNS:-5}
SHAPES=${BENCH_SHAPES:-"sample one-order:0.7:60:1.5:6 few-days:0.3:14:1:8 wide-amounts:0.45:365:2.5:10"}
run_psql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

for shape in $SHAPES; do
if [ -z "${BENCH_REUSE_DATA:-}" ]; then
	if [ "$shape" = sample ]; then
		run_psql -v customers="$CUSTOMERS" -v seed=42 -f "$ROOT/test/data/sample.sql" >/dev/null
		run_psql -c "VACUUM ANALYZE demo.orders"
	else
		IFS=: read -r name one days sigma orders <<<"$shape"
		run_psql -v customers="$CUSTOMERS" -v seed=42 -v shape="$name" -v one_share="$one" \
			-v days="$days" -v sigma="$sigma" -v orders="$orders" -f "$ROOT/test/bench/shapes.sql" >/dev/null
	fi
fi
echo
echo "=== shape: ${shape%%:*}"
run_psql -v runs="$RUNS" -v shape="${shape%%:*}" -f "$ROOT/test/bench/best_ms.sql" -f - <<'SQL'
SET TimeZone = 'Asia/Shanghai';
-- whole-row references in the queries keep the planner from dropping unused
-- aggregates

\set hand_pipeline 'WITH s AS (SELECT customer_id, date ''2024-12-31'' - max(ordered_at)::date AS recency, count(*) FILTER (WHERE amount >= 0 OR amount IS NULL) AS frequency, sum(amount) AS monetary FROM demo.orders GROUP BY customer_id), sc AS (SELECT customer_id, ntile(5) OVER (ORDER BY recency DESC) AS r, ntile(5) OVER (ORDER BY frequency) AS f, ntile(5) OVER (ORDER BY monetary) AS m FROM s), seg AS (SELECT customer_id, r, f, m, CASE WHEN r >= 4 AND (f + m) / 2.0 >= 4 THEN ''Champions'' WHEN r >= 2 AND (f + m) / 2.0 >= 3 THEN ''Loyal Customers'' WHEN r >= 3 AND (f + m) / 2.0 >= 1 THEN ''Potential Loyalist'' WHEN r >= 4 THEN ''New Customers'' WHEN r >= 3 THEN ''Promising'' WHEN r >= 2 AND (f + m) / 2.0 >= 2 THEN ''Need Attention'' WHEN r >= 2 THEN ''About To Sleep'' WHEN r <= 1 AND (f + m) / 2.0 >= 4 THEN ''Can''''t Lose Them'' WHEN r <= 2 AND (f + m) / 2.0 >= 2 THEN ''At Risk'' WHEN r >= 1 AND (f + m) / 2.0 >= 1 THEN ''Hibernating'' ELSE ''Lost'' END AS segment FROM sc) SELECT count(*) FROM seg WHERE seg IS NOT NULL'
-- Ours as a data engineer writes it: the summary's R, F and M kept for the
-- two uses (the breaks and the scoring), like the hand-written CTE keeps its
-- three columns; then the same with the whole twelve-field composite kept;
-- then one statement, the window form over the summary's fields.
\set our_pipeline 'WITH s AS (SELECT customer_id, (x.s).recency_days, (x.s).frequency, (x.s).monetary FROM (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz ''2024-12-31'') AS s FROM demo.orders GROUP BY customer_id) x), b AS (SELECT portrait.rfm_breaks(recency_days, frequency, monetary) AS model FROM s), seg AS (SELECT customer_id, portrait.rfm_score(recency_days, frequency, monetary, b.model) AS sc FROM s, b) SELECT count(*) FROM seg WHERE seg IS NOT NULL'
\set our_whole 'WITH s AS (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz ''2024-12-31'') AS s FROM demo.orders GROUP BY customer_id), b AS (SELECT portrait.rfm_breaks((s).recency_days, (s).frequency, (s).monetary) AS model FROM s), seg AS (SELECT customer_id, portrait.rfm_score((s).recency_days, (s).frequency, (s).monetary, b.model) AS sc FROM s, b) SELECT count(*) FROM seg WHERE seg IS NOT NULL'
\set our_window 'SELECT count(*) FROM (SELECT customer_id, portrait.rfm_score(recency_days, frequency, monetary) OVER () AS sc FROM (SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, timestamptz ''2024-12-31'')).* FROM demo.orders GROUP BY customer_id) s) seg WHERE seg IS NOT NULL'
\set bare_group 'SELECT count(*) FROM (SELECT customer_id, count(*), min(ordered_at), max(ordered_at), sum(amount) FROM demo.orders GROUP BY 1) t WHERE t IS NOT NULL'
-- for scale: the grouping alone, without the aggregates either pipeline computes
\set scale_group 'SELECT count(*) FROM (SELECT customer_id, count(*) FROM demo.orders GROUP BY 1) t WHERE t IS NOT NULL'
\set our_summary 'SELECT count(*) FROM (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz ''2024-12-31'') FROM demo.orders GROUP BY 1) t WHERE t IS NOT NULL'

SELECT count(*) AS customers, sum(n) AS orders, round(avg((n = 1)::int), 3) AS one_order_share,
       sum(d) AS customer_days
  FROM (SELECT customer_id, count(*) AS n, count(DISTINCT ordered_at::date) AS d FROM demo.orders GROUP BY 1) k;

SELECT t[1] AS hand_ms, t[2] AS ours_ms, t[3] AS whole_ms, t[4] AS window_ms, t[5] AS scale_ms
FROM (SELECT array_agg(ms ORDER BY i) AS t FROM pg_temp.best_ms(ARRAY[:'hand_pipeline', :'our_pipeline', :'our_whole', :'our_window', :'scale_group'], :runs)) b \gset a_
SELECT t[1] AS bare_ms, t[2] AS ours_ms FROM (SELECT array_agg(ms ORDER BY i) AS t FROM pg_temp.best_ms(ARRAY[:'bare_group', :'our_summary'], :runs)) b \gset b_
-- for reference: the hand-written pipeline where the planner may not use
-- parallel workers (on 2 cores its serial plan is the faster one)
SET max_parallel_workers_per_gather = 0;
SELECT t[1] AS hand_ms, t[2] AS ours_ms, t[3] AS window_ms FROM (SELECT array_agg(ms ORDER BY i) AS t FROM pg_temp.best_ms(ARRAY[:'hand_pipeline', :'our_pipeline', :'our_window'], :runs)) b \gset s_
RESET max_parallel_workers_per_gather;

\echo
\echo 'RFM benchmark (best of' :runs 'runs, default parallel settings), shape' :'shape'
SELECT '(a) pipeline: hand-written SQL (GROUP BY, 3 x ntile, CASE)' AS what, round(:a_hand_ms::numeric, 0) AS ms, NULL::numeric AS ratio
UNION ALL SELECT '(a) pipeline: rfm_summary -> rfm_score() OVER ()', round(:a_window_ms::numeric, 0), round((:a_window_ms / :a_hand_ms)::numeric, 2)
UNION ALL SELECT '(a) pipeline: rfm_summary -> rfm_breaks -> rfm_score(model)', round(:a_ours_ms::numeric, 0), round((:a_ours_ms / :a_hand_ms)::numeric, 2)
UNION ALL SELECT '(a) the same, the whole summary kept in the CTE', round(:a_whole_ms::numeric, 0), round((:a_whole_ms / :a_hand_ms)::numeric, 2)
UNION ALL SELECT '(a) for scale: GROUP BY customer_id with count(*) alone', round(:a_scale_ms::numeric, 0), round((:a_scale_ms / :a_hand_ms)::numeric, 2)
UNION ALL SELECT '(a) reference, no parallel workers: hand-written', round(:s_hand_ms::numeric, 0), NULL
UNION ALL SELECT '(a) reference, no parallel workers: ours, OVER ()', round(:s_window_ms::numeric, 0), round((:s_window_ms / :s_hand_ms)::numeric, 2)
UNION ALL SELECT '(a) reference, no parallel workers: ours, model', round(:s_ours_ms::numeric, 0), round((:s_ours_ms / :s_hand_ms)::numeric, 2)
UNION ALL SELECT '(b) bare GROUP BY min/max/count/sum', round(:b_bare_ms::numeric, 0), NULL
UNION ALL SELECT '(b) rfm_summary', round(:b_ours_ms::numeric, 0), round((:b_ours_ms / :b_bare_ms)::numeric, 2);
\echo 'ratio = ours / alternative; targets: (a) <= 0.5, (b) <= 1.2'
SQL
done
