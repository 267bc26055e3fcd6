#!/usr/bin/env bash
# TGI benchmark: profiling 10 attributes (7 text, 3 numeric) of every RFM
# segment against all customers, with the plain SQL a data engineer writes
# (per text attribute two GROUP BYs and a join, per numeric attribute a
# GROUP BY with avg/var_samp against the totals) and with profile_agg +
# profile_merge + tgi_table, on the same generated data, in one run.
# Environment: ROOT, PSQL, DB (from test/portrait.sh bench); BENCH_CUSTOMERS
# (default 200000); BENCH_RUNS (default 3, best run kept, run alternately);
# BENCH_REUSE_DATA=1 keeps the demo schema already in DB.
set -euo pipefail
CUSTOMERS=${BENCH_CUSTOMERS:-200000}
RUNS=${BENCH_RUNS:-3}
run_psql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

if [ -z "${BENCH_REUSE_DATA:-}" ]; then
	run_psql -v customers="$CUSTOMERS" -v seed=42 -f "$ROOT/test/data/sample.sql" >/dev/null
fi

run_psql -v runs="$RUNS" -f "$ROOT/test/bench/best_ms.sql" -f - <<'SQL'
SET TimeZone = 'Asia/Shanghai';
-- one row per customer: 7 text attributes, 3 numbers, the RFM segment
CREATE TABLE bench_cust AS
WITH r AS (SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31')).*
           FROM demo.orders GROUP BY customer_id)
SELECT c.customer_id, c.region, c.city_tier, c.age_band, c.gender, c.channel,
       to_char(c.signup_at, 'YYYY-MM') AS signup_month, to_char(c.signup_at, 'Dy') AS signup_weekday,
       r.recency_days::float8 AS recency_days, r.frequency::float8 AS frequency, r.monetary,
       (portrait.rfm_score(r.recency_days, r.frequency, r.monetary) OVER ()).segment AS segment
FROM demo.customers c JOIN r USING (customer_id) WHERE r.recency_days IS NOT NULL;
VACUUM ANALYZE bench_cust;

-- the hand-written query, generated per attribute as a user would copy and paste it
SELECT 'WITH seg AS (SELECT segment, count(*) AS n FROM bench_cust GROUP BY segment), tot AS (SELECT count(*) AS n FROM bench_cust), res AS ('
    || string_agg(q, ' UNION ALL ') || ') SELECT count(*) FROM res WHERE res::text IS NOT NULL' AS hand
FROM (
    SELECT format($f$SELECT g.segment, %1$L AS attribute, g.value, g.n AS group_count, p.n AS population_count,
        g.n::float8 / seg.n AS group_share, p.n::float8 / tot.n AS population_share,
        100 * (g.n::float8 / seg.n) / (p.n::float8 / tot.n) AS tgi,
        (g.n::float8 / seg.n - p.n::float8 / tot.n) / nullif(sqrt((p.n::float8 / tot.n) * (1 - p.n::float8 / tot.n) * (1.0 / seg.n - 1.0 / tot.n)), 0) AS z,
        NULL::float8 AS group_mean, NULL::float8 AS population_mean, NULL::float8 AS d
      FROM (SELECT segment, %1$I AS value, count(*) AS n FROM bench_cust GROUP BY 1, 2) g
      JOIN (SELECT %1$I AS value, count(*) AS n FROM bench_cust GROUP BY 1) p USING (value)
      JOIN seg USING (segment) CROSS JOIN tot$f$, a) AS q
    FROM unnest(ARRAY['region', 'city_tier', 'age_band', 'gender', 'channel', 'signup_month', 'signup_weekday']) a
    UNION ALL
    SELECT format($f$SELECT g.segment, %1$L, NULL, g.n, p.n, NULL, NULL, NULL,
        (g.s / g.n - p.s / p.n) / nullif(sqrt((p.q - p.s * p.s / p.n) / (p.n - 1) * (1.0 / g.n - 1.0 / p.n)), 0),
        g.s / g.n, p.s / p.n,
        (g.s / g.n - (p.s - g.s) / (p.n - g.n))
          / nullif(sqrt(((g.q - g.s * g.s / g.n) + ((p.q - g.q) - (p.s - g.s) ^ 2 / (p.n - g.n))) / (p.n - 2)), 0)
      FROM (SELECT segment, count(%1$I) AS n, sum(%1$I) AS s, sum(%1$I * %1$I) AS q FROM bench_cust GROUP BY 1) g
      CROSS JOIN (SELECT count(%1$I) AS n, sum(%1$I) AS s, sum(%1$I * %1$I) AS q FROM bench_cust) p$f$, a)
    FROM unnest(ARRAY['recency_days', 'frequency', 'monetary']) a) x \gset

-- a careful user unpivots instead: one scan, one GROUP BY for the text
-- attributes, one for the numbers, population from the segments' totals
\set unpivoted 'WITH long AS (SELECT segment, a.attribute, a.value FROM bench_cust, LATERAL (VALUES (''region'', region), (''city_tier'', city_tier), (''age_band'', age_band), (''gender'', gender), (''channel'', channel), (''signup_month'', signup_month), (''signup_weekday'', signup_weekday)) a(attribute, value)), g AS (SELECT segment, attribute, value, count(*) AS n FROM long GROUP BY 1, 2, 3), seg AS (SELECT segment, count(*) AS n FROM bench_cust GROUP BY 1), tot AS (SELECT sum(n) AS n FROM seg), p AS (SELECT attribute, value, sum(n) AS n FROM g GROUP BY 1, 2), nums AS (SELECT segment, count(recency_days) AS n1, sum(recency_days) AS s1, sum(recency_days ^ 2) AS q1, count(frequency) AS n2, sum(frequency) AS s2, sum(frequency ^ 2) AS q2, count(monetary) AS n3, sum(monetary) AS s3, sum(monetary ^ 2) AS q3 FROM bench_cust GROUP BY 1), numl AS (SELECT segment, v.* FROM nums, LATERAL (VALUES (''recency_days'', n1::float8, s1, q1), (''frequency'', n2, s2, q2), (''monetary'', n3, s3, q3)) v(attribute, n, s, q)), nump AS (SELECT attribute, sum(n) AS n, sum(s) AS s, sum(q) AS q FROM numl GROUP BY 1), res AS (SELECT g.segment, g.attribute, g.value, g.n AS group_count, p.n AS population_count, g.n::float8 / seg.n AS group_share, p.n::float8 / tot.n AS population_share, 100 * (g.n::float8 / seg.n) / (p.n::float8 / tot.n) AS tgi, (g.n::float8 / seg.n - p.n::float8 / tot.n) / nullif(sqrt((p.n::float8 / tot.n) * (1 - p.n::float8 / tot.n) * (1.0 / seg.n - 1.0 / tot.n)), 0) AS z, NULL::float8 AS group_mean, NULL::float8 AS population_mean, NULL::float8 AS d FROM g JOIN p USING (attribute, value) JOIN seg USING (segment) CROSS JOIN tot UNION ALL SELECT l.segment, l.attribute, NULL, l.n, p.n, NULL, NULL, NULL, (l.s / l.n - p.s / p.n) / nullif(sqrt((p.q - p.s * p.s / p.n) / (p.n - 1) * (1.0 / l.n - 1.0 / p.n)), 0), l.s / l.n, p.s / p.n, (l.s / l.n - (p.s - l.s) / (p.n - l.n)) / nullif(sqrt(((l.q - l.s * l.s / l.n) + ((p.q - l.q) - (p.s - l.s) ^ 2 / (p.n - l.n))) / (p.n - 2)), 0) FROM numl l JOIN nump p USING (attribute)) SELECT count(*) FROM res WHERE res::text IS NOT NULL'

\set ours_jsonb 'WITH s AS (SELECT segment, portrait.profile_agg(jsonb_build_object(''region'', region, ''city_tier'', city_tier, ''age_band'', age_band, ''gender'', gender, ''channel'', channel, ''signup_month'', signup_month, ''signup_weekday'', signup_weekday, ''recency_days'', recency_days, ''frequency'', frequency, ''monetary'', monetary)) AS p FROM bench_cust GROUP BY segment) SELECT count(*) FROM s, portrait.tgi_table(s.p, (SELECT portrait.profile_merge(p) FROM s)) t WHERE t::text IS NOT NULL'

\set ours_record 'WITH s AS (SELECT segment, portrait.profile_agg(a) AS p FROM bench_cust t, LATERAL (SELECT t.region, t.city_tier, t.age_band, t.gender, t.channel, t.signup_month, t.signup_weekday, t.recency_days, t.frequency, t.monetary) a GROUP BY segment) SELECT count(*) FROM s, portrait.tgi_table(s.p, (SELECT portrait.profile_merge(p) FROM s)) t WHERE t::text IS NOT NULL'

SELECT count(*) AS customers, count(DISTINCT segment) AS segments FROM bench_cust;
CREATE TEMP TABLE timing AS SELECT * FROM pg_temp.best_ms(ARRAY[:'hand', :'unpivoted', :'ours_jsonb', :'ours_record'], :runs);

\echo
\echo 'TGI benchmark: 10 attributes (7 text, 3 numeric) of every RFM segment against all customers'
\echo '(best of' :runs 'runs, alternating, default parallel settings)'
SELECT (ARRAY['plain SQL: two GROUP BYs + join per attribute, UNION ALL',
              'plain SQL: unpivoted, one GROUP BY for text, one for numbers',
              'profile_agg(jsonb) per segment + profile_merge + tgi_table',
              'profile_agg(record) per segment + profile_merge + tgi_table'])[i] AS what,
       result_rows, round(ms::numeric, 0) AS ms,
       round(((SELECT ms FROM timing WHERE i = 1) / ms)::numeric, 2) AS speedup_vs_per_attribute,
       round(((SELECT ms FROM timing WHERE i = 2) / ms)::numeric, 2) AS speedup_vs_unpivoted
FROM timing ORDER BY i;
\echo 'speedup = plain SQL time / this time; target: ours >= 3 x the per-attribute plain SQL'
\echo 'result_rows: ours also lists the values a segment has none of (count 0, TGI 0)'
DROP TABLE bench_cust;
SQL
