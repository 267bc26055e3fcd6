#!/usr/bin/env bash
# Attribution benchmark on generated journeys (default 1M customers, 10
# touchpoints each over 8 channels, 30% of them converting once), in one run:
#   (a) every model (first, last, linear, time decay, position based,
#       Markov order 1, Shapley) in the database, journeys built by
#       portrait.journeys, against exporting the touchpoints and
#       conversions with psycopg2 (COPY) and running the reference script
#       test/data/attribution/make_reference.py on them (one Python thread);
#       Markov order 1 alone the same way;
#   (b) the five heuristic models against hand-written SQL (window
#       functions numbering each customer's journeys and positioning the
#       touches in them), answers compared.
# The queries of a pair run alternately BENCH_RUNS times (default 3), best
# time kept.  Environment: ROOT, PSQL, DB (from test/portrait.sh bench);
# BENCH_CUSTOMERS (default 1000000), BENCH_TOUCHES (per customer, default 10),
# BENCH_RUNS; BENCH_PY_RUNS (export + Python runs, default 1: it takes
# minutes at the default size).
set -euo pipefail
CUSTOMERS=${BENCH_CUSTOMERS:-1000000}
TOUCHES=${BENCH_TOUCHES:-10}
RUNS=${BENCH_RUNS:-3}
run_psql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
load() { echo "load average ($1): $(cut -d' ' -f1-3 /proc/loadavg)"; }

t0=$(date +%s)
run_psql -v customers="$CUSTOMERS" -v touches="$TOUCHES" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_touch, bench_conv;
-- touch g belongs to customer g / touches; a customer's first touch is at its
-- start (one of the first 60 days), the others within 30 days after it;
-- channels, costs and conversions from hashint4 (the same rows every run).
CREATE UNLOGGED TABLE bench_touch AS
SELECT (g / :touches)::int AS customer,
       timestamptz '2024-01-01' + ((hashint4((g / :touches)::int) & 2147483647) % (60 * 86400)) * interval '1 second'
         + CASE WHEN g % :touches = 0 THEN interval '0' ELSE ((hashint4(g) & 2147483647) % (30 * 86400)) * interval '1 second' END AS at,
       (ARRAY['affiliate', 'display', 'email', 'organic', 'paid_search', 'push', 'referral', 'social'])
         [1 + (hashint4(g * 31 + 7) & 2147483647) % 8] AS channel,
       ((hashint4(g * 13) & 1023) / 1024.0)::float8 AS cost
  FROM generate_series(0, :customers * :touches - 1) g;
CREATE UNLOGGED TABLE bench_conv AS
SELECT c AS customer,
       timestamptz '2024-01-01' + ((hashint4(c) & 2147483647) % (60 * 86400)) * interval '1 second'
         + interval '20 days' + ((hashint4(c * 5 + 1) & 2147483647) % (10 * 86400)) * interval '1 second' AS at,
       (10 + (hashint4(c * 7 + 3) & 1023) / 8.0)::float8 AS value
  FROM generate_series(0, :customers - 1) c
 WHERE (hashint4(c * 3 + 2) & 2147483647) % 10 < 3;
VACUUM ANALYZE bench_touch, bench_conv;
SQL
echo "data generated in $(( $(date +%s) - t0 )) s"

load before
run_psql -v runs="$RUNS" -f "$ROOT/test/bench/best_ms.sql" -f - <<'SQL'
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET work_mem = '256MB';
\set journeys '(SELECT customer, portrait.journeys(at, channel, amount, is_conversion) AS journeys FROM (SELECT customer, at, channel, cost AS amount, false AS is_conversion FROM bench_touch UNION ALL SELECT customer, at, NULL, value, true FROM bench_conv) e GROUP BY customer) s'
\set our_all 'SELECT channel, model, conversions, value FROM portrait.attribution_models((SELECT portrait.attribution(journeys) FROM ' :journeys '))'
\set our_markov 'SELECT * FROM portrait.attribution_removal_effects((SELECT portrait.attribution(journeys) FROM ' :journeys '))'
\set hand_heur 'WITH e AS (SELECT customer, at, channel, cost, false AS conv, 0::float8 AS value FROM bench_touch UNION ALL SELECT customer, at, NULL, 0, true, value FROM bench_conv), n AS (SELECT *, coalesce(count(*) FILTER (WHERE conv) OVER (PARTITION BY customer ORDER BY at, conv, channel COLLATE "C", cost ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS jno FROM e), c AS (SELECT customer, jno, value FROM n WHERE conv), t AS (SELECT n.customer, n.jno, n.channel, n.at, row_number() OVER w AS pos, count(*) OVER p AS k, max(n.at) OVER p AS last_at FROM n WHERE NOT n.conv WINDOW w AS (PARTITION BY n.customer, n.jno ORDER BY n.at, n.channel COLLATE "C", n.cost), p AS (PARTITION BY n.customer, n.jno)), d AS (SELECT t.*, c.value, power(2::float8, -extract(epoch FROM t.last_at - t.at)::float8 / (7 * 86400)) AS dw FROM t JOIN c USING (customer, jno)), s AS (SELECT d.*, dw / sum(dw) OVER (PARTITION BY customer, jno) AS ds, CASE WHEN k = 1 THEN 1 WHEN k = 2 THEN 0.5 WHEN pos = 1 OR pos = k THEN 0.4 ELSE 0.2 / (k - 2) END::float8 AS pw FROM d) SELECT channel, sum((pos = 1)::int)::float8 AS first_touch, sum((pos = k)::int)::float8 AS last_touch, sum(1.0::float8 / k) AS linear, sum(ds) AS time_decay, sum(pw) AS position_based, sum(value * (pos = 1)::int) AS first_touch_value, sum(value * (pos = k)::int) AS last_touch_value, sum(value / k) AS linear_value, sum(value * ds) AS time_decay_value, sum(value * pw) AS position_based_value FROM s GROUP BY channel'
\set our_heur 'SELECT channel, first_touch, last_touch, linear, time_decay, position_based, first_touch_value, last_touch_value, linear_value, time_decay_value, position_based_value FROM portrait.attribution_report((SELECT portrait.attribution(journeys) FROM ' :journeys '))'

SELECT count(DISTINCT customer) AS customers, count(*) AS touchpoints, (SELECT count(*) FROM bench_conv) AS conversions FROM bench_touch;
SELECT max(ms) FILTER (WHERE i = 1) AS hand_ms, max(ms) FILTER (WHERE i = 2) AS ours_ms
FROM pg_temp.best_ms(ARRAY[:'hand_heur', :'our_heur'], :runs, ARRAY['hand_heur', 'our_heur']) \gset h_
SELECT max(ms) FILTER (WHERE i = 1) AS all_ms, max(ms) FILTER (WHERE i = 2) AS markov_ms
FROM pg_temp.best_ms(ARRAY[:'our_all', :'our_markov'], :runs, ARRAY['our_all', 'our_markov']) \gset o_

SELECT bool_and(abs(h.first_touch - o.first_touch) + abs(h.last_touch - o.last_touch) + abs(h.linear - o.linear)
                + abs(h.time_decay - o.time_decay) + abs(h.position_based - o.position_based)
                + abs(h.linear_value - o.linear_value) + abs(h.time_decay_value - o.time_decay_value)
                + abs(h.position_based_value - o.position_based_value) < 1e-6 * (SELECT count(*) FROM bench_conv))
       AND count(*) = 8 AS heuristics_same_answer
  FROM hand_heur h JOIN our_heur o USING (channel);
\pset tuples_only on
\pset format unaligned
\o /tmp/attribution_bench_ours.txt
SELECT channel, conversions FROM our_all WHERE model = 'markov' ORDER BY channel;
\o /tmp/attribution_bench_ms.txt
SELECT round(:o_all_ms::numeric, 0), round(:o_markov_ms::numeric, 0);
\o
\pset tuples_only off
\pset format aligned
\echo
\echo 'In the database: best of' :runs 'alternating runs, default parallel settings, work_mem 256MB'
SELECT 'heuristics: hand-written window functions' AS what, round(:h_hand_ms::numeric, 0) AS ms, NULL::numeric AS speedup
UNION ALL SELECT 'heuristics: portrait.journeys + attribution (all models)', round(:h_ours_ms::numeric, 0), round((:h_hand_ms / :h_ours_ms)::numeric, 2)
UNION ALL SELECT 'all models: attribution_models', round(:o_all_ms::numeric, 0), NULL
UNION ALL SELECT 'Markov order 1: attribution_removal_effects', round(:o_markov_ms::numeric, 0), NULL;
\echo 'speedup = hand-written time / ours'
SQL
/usr/bin/python3 "$ROOT/test/bench/attribution_export.py" --db "$DB" --runs "${BENCH_PY_RUNS:-1}" \
	--ours "$(grep -Eo '[0-9]+' /tmp/attribution_bench_ms.txt | tr '\n' ' ')" --ours-markov /tmp/attribution_bench_ours.txt
load after
