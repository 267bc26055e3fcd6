#!/usr/bin/env bash
# Tag bitmaps benchmark: a generated profile of BENCH_CUSTOMERS customers
# (default 1000000) with 10 tags (8 categorical, 2 boolean).  In one run:
# build_tags against one plain scan of the profile; audience counts of 12
# expressions of 2-6 conditions from the tag bitmaps against the same WHERE
# on the wide profile table (a btree index on every tag column, as a user
# would add) and against a long (customer, tag, value) table (indexed) with
# INTERSECT / EXCEPT.  Every count is checked equal across the three.
# Environment: ROOT, PSQL, DB (from test/portrait.sh bench); BENCH_CUSTOMERS;
# BENCH_RUNS (default 3, best run kept, run alternately).
set -euo pipefail
CUSTOMERS=${BENCH_CUSTOMERS:-1000000}
RUNS=${BENCH_RUNS:-3}
run_psql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

run_psql -v runs="$RUNS" -v customers="$CUSTOMERS" -f "$ROOT/test/bench/best_ms.sql" -f - <<'SQL'
SELECT setseed(0.42);
DROP TABLE IF EXISTS bench_wide, bench_long;
CREATE TABLE bench_wide AS
SELECT 1000000000 + g * 7 AS customer_id,
       (ARRAY['Champions', 'Loyal', 'Potential', 'New', 'At Risk', 'Hibernating', 'Lost'])[1 + (random() * 6.999)::int] AS segment,
       'tier' || (1 + (random() * 3.999)::int) AS city_tier,
       (ARRAY['app', 'mini_program', 'web', 'store'])[1 + (random() * 3.999)::int] AS channel,
       (ARRAY['18-24', '25-34', '35-44', '45-54', '55+'])[1 + (random() * 4.999)::int] AS age_band,
       (ARRAY['f', 'm'])[1 + (random() * 0.999)::int] AS gender,
       'r' || (random() * 30)::int AS region,
       (ARRAY['maternity', 'beauty', 'food', 'electronics', 'home', 'sports'])[1 + (random() * 5.999)::int] AS pref_category,
       (ARRAY['new', 'growing', 'mature', 'declining', 'churned'])[1 + (random() * 4.999)::int] AS lifecycle,
       random() < 0.3 AS is_member, random() < 0.15 AS high_churn_risk
FROM generate_series(1, :customers) g;
CREATE INDEX ON bench_wide (segment); CREATE INDEX ON bench_wide (city_tier); CREATE INDEX ON bench_wide (channel);
CREATE INDEX ON bench_wide (age_band); CREATE INDEX ON bench_wide (gender); CREATE INDEX ON bench_wide (region);
CREATE INDEX ON bench_wide (pref_category); CREATE INDEX ON bench_wide (lifecycle); CREATE INDEX ON bench_wide (is_member);
CREATE INDEX ON bench_wide (high_churn_risk);
VACUUM ANALYZE bench_wide;
CREATE TABLE bench_long AS
SELECT w.customer_id, v.tag, v.value FROM bench_wide w,
LATERAL (VALUES ('segment', segment), ('city_tier', city_tier), ('channel', channel), ('age_band', age_band),
                ('gender', gender), ('region', region), ('pref_category', pref_category), ('lifecycle', lifecycle),
                ('is_member', CASE WHEN is_member THEN 'true' END), ('high_churn_risk', CASE WHEN high_churn_risk THEN 'true' END)) v(tag, value)
WHERE v.value IS NOT NULL;
CREATE INDEX ON bench_long (tag, value, customer_id);
VACUUM ANALYZE bench_long;

DELETE FROM portrait.tag_bitmap WHERE base = 'bench';
DELETE FROM portrait.tag WHERE name IN ('segment', 'city_tier', 'channel', 'age_band', 'gender', 'region', 'pref_category', 'lifecycle', 'is_member', 'high_churn_risk');
INSERT INTO portrait.tag (name, value_type, source_column)
SELECT c, CASE WHEN c IN ('is_member', 'high_churn_risk') THEN 'boolean' ELSE 'categorical' END, c
FROM unnest(ARRAY['segment', 'city_tier', 'channel', 'age_band', 'gender', 'region', 'pref_category', 'lifecycle', 'is_member', 'high_churn_risk']) c;
-- the dictionary once (a first build assigns it; rebuilds find every key known)
SELECT portrait.dictionary_assign('bench', array_agg(customer_id::text)) AS new_keys FROM bench_wide \gset

\echo
\echo '== Build: every tag bitmap (build_tags) against one plain scan of the profile'
SELECT CASE i WHEN 1 THEN 'one scan: SELECT count(*) of every tag column' ELSE 'build_tags (10 tags, one pass)' END AS what,
       round(ms::numeric, 0) AS best_ms
FROM pg_temp.best_ms(ARRAY[
    $$SELECT count(segment) + count(city_tier) + count(channel) + count(age_band) + count(gender) + count(region) + count(pref_category) + count(lifecycle) + count(is_member) + count(high_churn_risk) FROM bench_wide$$,
    $$SELECT portrait.build_tags('bench', 'bench_wide', 'customer_id', '2026-11-01')$$], 1) ORDER BY i;
SELECT count(*) AS bitmaps, pg_size_pretty(sum(length(members::bytea))) AS bitmap_bytes,
       pg_size_pretty(sum(length(members::bytea)) / count(DISTINCT tag)) AS per_tag,
       pg_size_pretty(pg_total_relation_size('bench_wide')) AS wide_table_with_indexes,
       pg_size_pretty(pg_total_relation_size('bench_long')) AS long_table_with_index
FROM portrait.tag_bitmap WHERE base = 'bench';

-- the audiences: conjunctions of terms (tag, values, negated)
CREATE TEMP TABLE aud (a int, tag text, vals text[], neg boolean);
INSERT INTO aud VALUES
 (1, 'segment', '{Champions,Loyal}', false), (1, 'city_tier', '{tier1,tier2}', false),
 (2, 'segment', '{Champions,Loyal}', false), (2, 'city_tier', '{tier1,tier2}', false), (2, 'pref_category', '{maternity}', false), (2, 'high_churn_risk', '{true}', true),
 (3, 'is_member', '{true}', false), (3, 'channel', '{app}', false),
 (4, 'lifecycle', '{declining}', false), (4, 'segment', '{At Risk,Hibernating}', false), (4, 'age_band', '{25-34,35-44}', false),
 (5, 'gender', '{f}', false), (5, 'age_band', '{25-34}', false), (5, 'pref_category', '{beauty,maternity}', false), (5, 'region', '{r1,r2,r3,r4,r5}', false), (5, 'is_member', '{true}', true),
 (6, 'region', '{r7}', false), (6, 'channel', '{store}', false),
 (7, 'segment', '{New}', false), (7, 'lifecycle', '{new,growing}', false), (7, 'channel', '{app,mini_program}', false),
 (8, 'high_churn_risk', '{true}', false), (8, 'segment', '{Champions}', false), (8, 'is_member', '{true}', false),
 (9, 'city_tier', '{tier1}', false), (9, 'gender', '{m}', false), (9, 'pref_category', '{electronics}', false), (9, 'age_band', '{18-24,25-34}', false), (9, 'lifecycle', '{churned}', true), (9, 'channel', '{store}', true),
 (10, 'pref_category', '{food,home}', false), (10, 'segment', '{Lost}', true),
 (11, 'segment', '{Potential,New}', false), (11, 'region', '{r10,r11,r12}', false), (11, 'city_tier', '{tier3,tier4}', false), (11, 'is_member', '{true}', false),
 (12, 'channel', '{web}', false), (12, 'age_band', '{55+}', false), (12, 'high_churn_risk', '{true}', true);
CREATE TEMP TABLE aud_sql AS
SELECT a,
  'SELECT count(*) FROM bench_wide WHERE ' || string_agg(
      CASE WHEN tag IN ('is_member', 'high_churn_risk') THEN format(CASE WHEN neg THEN '%I IS NOT TRUE' ELSE '%I' END, tag)
           ELSE format(CASE WHEN neg THEN '(%I = ANY (%L)) IS NOT TRUE' ELSE '%I = ANY (%L)' END, tag, vals) END, ' AND ' ORDER BY neg, tag) AS wide,
  'SELECT count(*) FROM (' || string_agg(format('%s SELECT customer_id FROM bench_long WHERE tag = %L AND value = ANY (%L)',
      CASE WHEN row_number = 1 THEN '' WHEN neg THEN 'EXCEPT' ELSE 'INTERSECT' END, tag, vals), ' ' ORDER BY row_number) || ') s' AS long,
  'SELECT portrait.bitmap_cardinality(' || string_agg(format('%s (SELECT portrait.bitmap_or_agg(members) FROM portrait.tag_bitmap WHERE base = ''bench'' AND snapshot = ''2026-11-01'' AND tag = %L AND value = ANY (%L))',
      CASE WHEN row_number = 1 THEN '' WHEN neg THEN 'OPERATOR(portrait.-)' ELSE 'OPERATOR(portrait.&)' END, tag, vals), ' ' ORDER BY row_number) || ')' AS ours,
  count(*) AS conditions
FROM (SELECT *, row_number() OVER (PARTITION BY a ORDER BY neg, tag) FROM aud) x GROUP BY a;

SELECT set_config('bench.runs', :'runs', false);
CREATE TEMP TABLE res (a int, conditions bigint, wide_ms float8, long_ms float8, ours_ms float8, wide_n bigint, long_n bigint, ours_n bigint);
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT * FROM aud_sql ORDER BY a LOOP
    INSERT INTO res
    SELECT r.a, r.conditions, max(ms) FILTER (WHERE i = 1), max(ms) FILTER (WHERE i = 2), max(ms) FILTER (WHERE i = 3),
           max(result_rows) FILTER (WHERE i = 1), max(result_rows) FILTER (WHERE i = 2), max(result_rows) FILTER (WHERE i = 3)
    FROM pg_temp.best_ms(ARRAY[r.wide, r.long, r.ours], current_setting('bench.runs')::int);
  END LOOP; END $$;

\echo
\echo '== Audience counts: bitmaps against the indexed wide-table WHERE and the long table with INTERSECT/EXCEPT'
SELECT a AS audience, conditions, ours_n AS customers, wide_n = ours_n AND long_n = ours_n AS equal,
       round(wide_ms::numeric, 1) AS wide_where_ms, round(long_ms::numeric, 1) AS long_intersect_ms,
       round(ours_ms::numeric, 2) AS bitmaps_ms,
       round((wide_ms / ours_ms)::numeric, 0) AS vs_wide, round((long_ms / ours_ms)::numeric, 0) AS vs_long
FROM res ORDER BY a;
SELECT bool_and(wide_n = ours_n AND long_n = ours_n) AS all_counts_equal,
       round(exp(avg(ln(wide_ms / ours_ms)))::numeric, 0) AS geomean_vs_wide,
       round(exp(avg(ln(long_ms / ours_ms)))::numeric, 0) AS geomean_vs_long,
       round(max(ours_ms)::numeric, 2) AS slowest_bitmap_count_ms
FROM res;
DELETE FROM portrait.tag_bitmap WHERE base = 'bench';
DROP TABLE bench_wide, bench_long;
SQL
