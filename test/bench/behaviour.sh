#!/usr/bin/env bash
# Behaviour benchmark on generated events (default 10M rows, 500k customers):
# the hand-written SQL and pg_portrait on the same data, in one run:
#   (a) funnel view -> cart -> checkout -> pay within 1 day, customers per
#       level: window_funnel vs a window-function query computing the same
#       level (for every view, the earliest cart at or after it, the
#       earliest checkout at or after that, the earliest pay at or after
#       that; the level is the best view's);
#   (b) weekly cohort matrix with 8 offsets: cohort_matrix vs the first
#       week per customer (GROUP BY customer) joined to the distinct
#       (customer, week) pairs, counted per (cohort, offset), the cohort
#       size taken from offset 0 by a window max.  (This form measured
#       faster than GROUP BY (customer, week) + min() OVER (PARTITION BY
#       customer) + GROUP BY, and its two aggregations can run in
#       parallel.)
# Both answers are compared; the ratio is hand-written time / ours.  The two
# queries of a pair run alternately BENCH_RUNS times (default 3) and the best
# time of each is kept, which tames a busy machine.
# Environment: ROOT, PSQL, DB (from test/portrait.sh bench); BENCH_EVENTS
# (default 10000000), BENCH_EVENTS_PER_CUSTOMER (default 20), BENCH_RUNS.
set -euo pipefail
EVENTS=${BENCH_EVENTS:-10000000}
PER=${BENCH_EVENTS_PER_CUSTOMER:-20}
RUNS=${BENCH_RUNS:-3}
run_psql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
# the machine's load, printed before and after the timed runs
load() { echo "load average ($1): $(cut -d' ' -f1-3 /proc/loadavg)"; }

run_psql -v events="$EVENTS" -v per="$PER" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_events;
-- customer g / per; each customer starts on one of the first 60 days and is
-- active over the next 6 weeks, half of the events in the first 3 days; names
-- drawn from hashint4.
CREATE UNLOGGED TABLE bench_events AS
SELECT (g / :per)::int AS uid,
       timestamptz '2024-01-01 00:00:00+08'
         + ((hashint4((g / :per)::int) & 2147483647) % (60 * 86400)) * interval '1 second'
         + ((hashint4(g) & 2147483647) % (CASE WHEN g % 2 = 0 THEN 3 ELSE 42 END * 86400)) * interval '1 second' AS ts,
       (ARRAY['view', 'view', 'view', 'view', 'view', 'view', 'view', 'view', 'view', 'view',
              'cart', 'cart', 'cart', 'cart', 'checkout', 'checkout', 'pay', 'search', 'search', 'search'])
         [1 + (hashint4(g * 31 + 7) & 2147483647) % 20] AS name
  FROM generate_series(0, :events - 1) g;
VACUUM ANALYZE bench_events;
SQL

load before
run_psql -v runs="$RUNS" -f "$ROOT/test/bench/best_ms.sql" -f - <<'SQL'
SET client_min_messages = warning;
SET TimeZone = 'Asia/Shanghai';
SET work_mem = '256MB';
\set hand_funnel 'WITH o AS (SELECT uid, ts, name, CASE name WHEN ''view'' THEN 1 WHEN ''cart'' THEN 2 WHEN ''checkout'' THEN 3 WHEN ''pay'' THEN 4 ELSE 0 END AS step FROM bench_events), p AS (SELECT *, min(ts) FILTER (WHERE step = 4) OVER w AS next_pay FROM o WINDOW w AS (PARTITION BY uid ORDER BY ts DESC, step DESC ROWS UNBOUNDED PRECEDING)), h AS (SELECT *, min(ts) FILTER (WHERE step = 3) OVER w AS next_chk, min(next_pay) FILTER (WHERE step = 3) OVER w AS chk_pay FROM p WINDOW w AS (PARTITION BY uid ORDER BY ts DESC, step DESC ROWS UNBOUNDED PRECEDING)), c AS (SELECT *, min(ts) FILTER (WHERE step = 2) OVER w AS t2, min(next_chk) FILTER (WHERE step = 2) OVER w AS t3, min(chk_pay) FILTER (WHERE step = 2) OVER w AS t4 FROM h WINDOW w AS (PARTITION BY uid ORDER BY ts DESC, step DESC ROWS UNBOUNDED PRECEDING)), lv AS (SELECT uid, coalesce(max(CASE WHEN step = 1 THEN 1 + (coalesce(t2 <= ts + interval ''1 day'', false))::int + (coalesce(t3 <= ts + interval ''1 day'', false))::int + (coalesce(t4 <= ts + interval ''1 day'', false))::int END), 0) AS level FROM c GROUP BY uid) SELECT level, count(*) AS customers FROM lv GROUP BY level'
\set our_funnel 'SELECT level, count(*) AS customers FROM (SELECT uid, portrait.window_funnel(''1 day'', ts, name = ''view'', name = ''cart'', name = ''checkout'', name = ''pay'') AS level FROM bench_events GROUP BY uid) t GROUP BY level'
\set hand_cohort 'WITH f AS (SELECT uid, date_trunc(''week'', min(ts)) AS c FROM bench_events GROUP BY uid), a AS (SELECT DISTINCT uid, date_trunc(''week'', ts) AS p FROM bench_events), m AS (SELECT f.c, round(extract(epoch FROM a.p - f.c) / 604800)::int AS k, count(*) AS n FROM a JOIN f USING (uid) GROUP BY 1, 2) SELECT c AS cohort, k AS period_offset, max(n) FILTER (WHERE k = 0) OVER (PARTITION BY c) AS cohort_users, n AS active_users, n::float8 / max(n) FILTER (WHERE k = 0) OVER (PARTITION BY c) AS share FROM m WHERE k <= 8'
\set our_cohort 'SELECT * FROM portrait.cohort_matrix(''bench_events'', ''uid'', ''ts'', ''week'', 8) WHERE active_users > 0'

SELECT count(DISTINCT uid) AS customers, count(*) AS events FROM bench_events;
-- each answer kept in a temporary table of the query's name, for the comparison
SELECT max(ms) FILTER (WHERE i = 1) AS hand_ms, max(ms) FILTER (WHERE i = 2) AS ours_ms
FROM pg_temp.best_ms(ARRAY[:'hand_funnel', :'our_funnel'], :runs, ARRAY['hand_funnel', 'our_funnel']) \gset a_
SELECT max(ms) FILTER (WHERE i = 1) AS hand_ms, max(ms) FILTER (WHERE i = 2) AS ours_ms
FROM pg_temp.best_ms(ARRAY[:'hand_cohort', :'our_cohort'], :runs, ARRAY['hand_cohort', 'our_cohort']) \gset b_

\echo
\echo 'Funnel levels (customers per level), hand-written and ours:'
SELECT h.level, h.customers AS hand, o.customers AS ours FROM hand_funnel h FULL JOIN our_funnel o USING (level) ORDER BY 1;
SELECT (SELECT count(*) FROM (TABLE hand_funnel EXCEPT TABLE our_funnel) d) = 0
   AND (SELECT count(*) FROM hand_funnel) = (SELECT count(*) FROM our_funnel) AS funnel_same_answer,
       (SELECT count(*) FROM (TABLE hand_cohort EXCEPT TABLE our_cohort) d) = 0
   AND (SELECT count(*) FROM hand_cohort) = (SELECT count(*) FROM our_cohort) AS cohort_same_answer,
       (SELECT count(*) FROM our_cohort) AS cohort_cells;

\echo
\echo 'Behaviour benchmark (best of' :runs 'alternating runs, default parallel settings, work_mem 256MB)'
SELECT '(a) funnel: hand-written window functions' AS what, round(:a_hand_ms::numeric, 0) AS ms, NULL::numeric AS speedup
UNION ALL SELECT '(a) funnel: window_funnel', round(:a_ours_ms::numeric, 0), round((:a_hand_ms / :a_ours_ms)::numeric, 2)
UNION ALL SELECT '(b) cohort matrix: first week JOIN distinct weeks + GROUP BY', round(:b_hand_ms::numeric, 0), NULL
UNION ALL SELECT '(b) cohort matrix: cohort_matrix', round(:b_ours_ms::numeric, 0), round((:b_hand_ms / :b_ours_ms)::numeric, 2);
\echo 'speedup = hand-written time / ours'
SQL
load after
