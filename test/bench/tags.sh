#!/usr/bin/env bash
# Tag bitmaps benchmark: a generated profile of BENCH_CUSTOMERS customers
# (default 10000000) with 50 tags: 20 boolean, 20 categorical (2 to 100
# values, skewed), 10 numeric (4 numeric money columns at 2 decimals, 3 float8
# scores at 3, 3 integer counts).  In one run:
#  - build_tags of all 50 tags (dictionary known: a rebuild) against one plain
#    scan of the profile that reads every tag column; the first build (which
#    assigns every key its id) once;
#  - audience_count of 20 expressions of 2-8 conditions (categorical, boolean,
#    numeric ranges, NOT) against the same WHERE on the wide profile table (a
#    btree index on every column the expressions use, as a user would add)
#    and against a long (customer, tag, value) table of those tags (indexed)
#    with INTERSECT / EXCEPT; every count checked equal across the three;
#  - the members of a ~1M-customer audience (audience_members) against the
#    same SELECT of the keys from the wide table;
#  - the memory of the tags (stored bitmaps and indexes) per tag and kind.
# Environment: ROOT, PSQL, DB (from test/portrait.sh bench); BENCH_CUSTOMERS;
# BENCH_RUNS (default 3, best run kept, run alternately).
set -euo pipefail
CUSTOMERS=${BENCH_CUSTOMERS:-10000000}
RUNS=${BENCH_RUNS:-3}
run_psql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

run_psql -v runs="$RUNS" -v customers="$CUSTOMERS" -f "$ROOT/test/bench/best_ms.sql" -f - <<'SQL'
\echo '== Load average at the start'
\! cat /proc/loadavg
DROP TABLE IF EXISTS bench_wide, bench_long;
SELECT set_config('bench.customers', :'customers', false);
-- a uniform number in [0, 1) per (customer, column), from a hash: no state, any order
CREATE FUNCTION pg_temp.u(g bigint, k int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$SELECT ((pg_catalog.hashint8($1 * 64 + $2) & 2147483647) % 1000000) / 1e6::float8$$;
DO $$
DECLARE
    cards int[] := '{2,3,4,5,7,10,12,15,20,25,30,40,50,6,8,9,11,14,16,100}';
    cols text := '';
BEGIN
    FOR k IN 1..20 LOOP
        cols := cols || format(', pg_temp.u(g, %s) < %s AS b%s', k, CASE k WHEN 1 THEN 1.0 / 7 ELSE 0.05 + 0.03 * (k - 1) END,
                               lpad(k::text, 2, '0'));
    END LOOP;
    FOR k IN 1..20 LOOP
        cols := cols || format(', ''v'' || floor(%s * pg_temp.u(g, %s) ^ 2)::int AS c%s', cards[k], 20 + k, lpad(k::text, 2, '0'));
    END LOOP;
    FOR k IN 1..10 LOOP
        cols := cols || format(', %s AS n%s', CASE WHEN k <= 4 THEN format('round((10000 * pg_temp.u(g, %s) ^ 3)::numeric, 2)', 40 + k)
                                                   WHEN k <= 7 THEN format('round(pg_temp.u(g, %s)::numeric, 3)::float8', 40 + k)
                                                   ELSE format('floor(100 * pg_temp.u(g, %s) ^ 2)::int', 40 + k) END,
                               lpad(k::text, 2, '0'));
    END LOOP;
    EXECUTE format('CREATE TABLE bench_wide AS SELECT 1000000000 + g * 7 AS customer_id %s FROM generate_series(1, %s) g',
                   cols, current_setting('bench.customers'));
END $$;

-- the audiences: conjunctions of terms (tag, kind, values or bounds, negated)
CREATE TEMP TABLE aud (a int, tag text, kind text, vals text[], lo numeric, hi numeric, neg boolean);
INSERT INTO aud VALUES
 (1, 'c01', 'in', '{v1}', NULL, NULL, false), (1, 'b02', 'bool', NULL, NULL, NULL, false),
 (2, 'c02', 'in', '{v0,v1}', NULL, NULL, false), (2, 'c03', 'in', '{v2}', NULL, NULL, false), (2, 'b04', 'bool', NULL, NULL, NULL, false),
 (3, 'n01', 'ge', NULL, 5000, NULL, false), (3, 'b05', 'bool', NULL, NULL, NULL, false),
 (4, 'c04', 'in', '{v1}', NULL, NULL, false), (4, 'n05', 'between', NULL, 0.2, 0.5, false), (4, 'c05', 'in', '{v0,v3}', NULL, NULL, false),
 (4, 'b03', 'bool', NULL, NULL, NULL, true),
 (5, 'c06', 'in', '{v0,v1,v2}', NULL, NULL, false), (5, 'c04', 'in', '{v1}', NULL, NULL, false), (5, 'b01', 'bool', NULL, NULL, NULL, false),
 (5, 'n08', 'ge', NULL, 40, NULL, false), (5, 'b03', 'bool', NULL, NULL, NULL, true),
 (6, 'c05', 'in', '{v0}', NULL, NULL, false), (6, 'c06', 'in', '{v1,v2}', NULL, NULL, false), (6, 'b04', 'bool', NULL, NULL, NULL, false),
 (6, 'b05', 'bool', NULL, NULL, NULL, true), (6, 'n01', 'between', NULL, 100, 3000, false), (6, 'c03', 'in', '{v0,v1}', NULL, NULL, false),
 (7, 'b02', 'bool', NULL, NULL, NULL, false), (7, 'b03', 'bool', NULL, NULL, NULL, false),
 (8, 'c06', 'in', '{v0,v1,v2,v3,v4,v5}', NULL, NULL, false), (8, 'n05', 'ge', NULL, 0.5, NULL, false), (8, 'c01', 'in', '{v1}', NULL, NULL, false),
 (9, 'c05', 'in', '{v0}', NULL, NULL, false), (9, 'c04', 'in', '{v0,v1}', NULL, NULL, false), (9, 'c03', 'in', '{v0,v2}', NULL, NULL, false),
 (9, 'b01', 'bool', NULL, NULL, NULL, false), (9, 'b05', 'bool', NULL, NULL, NULL, false), (9, 'n08', 'ge', NULL, 10, NULL, false),
 (9, 'c02', 'in', '{v0}', NULL, NULL, true), (9, 'n01', 'between', NULL, 50, 800, false),
 (10, 'c06', 'in', '{v0,v1,v2,v3,v4}', NULL, NULL, false), (10, 'b04', 'bool', NULL, NULL, NULL, true),
 (11, 'c02', 'in', '{v1}', NULL, NULL, false), (11, 'c03', 'in', '{v0}', NULL, NULL, false), (11, 'b05', 'bool', NULL, NULL, NULL, false),
 (12, 'c05', 'in', '{v0,v1}', NULL, NULL, false), (12, 'n08', 'between', NULL, 5, 60, false), (12, 'b02', 'bool', NULL, NULL, NULL, false),
 (12, 'c02', 'in', '{v0}', NULL, NULL, true),
 (13, 'c04', 'in', '{v2,v3}', NULL, NULL, false), (13, 'c06', 'in', '{v0,v1,v2,v3,v4}', NULL, NULL, false), (13, 'b03', 'bool', NULL, NULL, NULL, false),
 (13, 'n05', 'ge', NULL, 0.8, NULL, false), (13, 'c03', 'in', '{v1}', NULL, NULL, true), (13, 'b04', 'bool', NULL, NULL, NULL, true),
 (13, 'n01', 'ge', NULL, 200, NULL, false),
 (14, 'c04', 'in', '{v0}', NULL, NULL, false), (14, 'c05', 'in', '{v0,v1}', NULL, NULL, false), (14, 'c06', 'in', '{v0}', NULL, NULL, false),
 (14, 'b01', 'bool', NULL, NULL, NULL, false), (14, 'b02', 'bool', NULL, NULL, NULL, true),
 (15, 'n01', 'between', NULL, 1000, 2000, false), (15, 'n05', 'ge', NULL, 0.25, NULL, false),
 (16, 'c01', 'in', '{v0}', NULL, NULL, false), (16, 'c02', 'in', '{v0}', NULL, NULL, false), (16, 'c03', 'in', '{v0}', NULL, NULL, false),
 (16, 'c04', 'in', '{v0}', NULL, NULL, false), (16, 'c05', 'in', '{v0}', NULL, NULL, false), (16, 'c06', 'in', '{v0}', NULL, NULL, false),
 (17, 'b04', 'bool', NULL, NULL, NULL, false), (17, 'c01', 'in', '{v0}', NULL, NULL, false), (17, 'c02', 'in', '{v0}', NULL, NULL, false),
 (17, 'n08', 'ge', NULL, 30, NULL, false), (17, 'b01', 'bool', NULL, NULL, NULL, true), (17, 'b02', 'bool', NULL, NULL, NULL, true),
 (17, 'b03', 'bool', NULL, NULL, NULL, true),
 (18, 'c05', 'in', '{v1,v2}', NULL, NULL, false), (18, 'c06', 'in', '{v1}', NULL, NULL, false), (18, 'n08', 'between', NULL, 20, 70, false),
 (19, 'c06', 'in', '{v3}', NULL, NULL, false), (19, 'c05', 'in', '{v1}', NULL, NULL, false), (19, 'b03', 'bool', NULL, NULL, NULL, false),
 (19, 'b05', 'bool', NULL, NULL, NULL, true), (19, 'c02', 'in', '{v2}', NULL, NULL, false), (19, 'n01', 'ge', NULL, 500, NULL, false),
 (19, 'n05', 'between', NULL, 0.1, 0.9, false),
 (20, 'c05', 'in', '{v1,v2,v3}', NULL, NULL, false), (20, 'c06', 'in', '{v2}', NULL, NULL, true), (20, 'b01', 'bool', NULL, NULL, NULL, false),
 (20, 'n08', 'between', NULL, 1, 30, false), (20, 'c01', 'in', '{v0}', NULL, NULL, false);

-- the wide table indexed on every column an audience filters on; the long
-- table holds those tags (a boolean tag only where true, numeric values as text)
DO $$ DECLARE t text; BEGIN
  FOR t IN SELECT DISTINCT tag FROM aud ORDER BY 1 LOOP
    EXECUTE format('CREATE INDEX ON bench_wide (%I)', t);
  END LOOP; END $$;
VACUUM ANALYZE bench_wide;
DO $$ BEGIN
  EXECUTE 'CREATE TABLE bench_long AS SELECT w.customer_id, v.tag, v.value FROM bench_wide w, LATERAL (VALUES '
       || (SELECT string_agg(format('(%L, %s)', tag, CASE WHEN tag LIKE 'b%' THEN format('CASE WHEN %I THEN ''true'' END', tag)
                                                         ELSE format('%I::text', tag) END), ', ' ORDER BY tag)
           FROM (SELECT DISTINCT tag FROM aud) x)
       || ') v(tag, value) WHERE v.value IS NOT NULL';
END $$;
CREATE INDEX ON bench_long (tag, value, customer_id);
VACUUM ANALYZE bench_long;

-- the tag library: every column of the profile is a tag
DELETE FROM portrait.tag_bitmap WHERE base = 'bench';
DELETE FROM portrait.tag_numeric WHERE base = 'bench';
DELETE FROM portrait.tag_snapshot WHERE base = 'bench';
DELETE FROM portrait.tag WHERE name ~ '^[bcn][0-9][0-9]$';
INSERT INTO portrait.tag (name, value_type, scale, source_column)
SELECT a.attname, CASE left(a.attname, 1) WHEN 'b' THEN 'boolean' WHEN 'c' THEN 'categorical' ELSE 'numeric' END,
       CASE WHEN a.attname BETWEEN 'n01' AND 'n04' THEN 2 WHEN a.attname BETWEEN 'n05' AND 'n07' THEN 3 ELSE 0 END, a.attname
FROM pg_attribute a WHERE a.attrelid = 'bench_wide'::regclass AND a.attnum > 1 AND NOT a.attisdropped;
\echo
\echo '== Load average before the build'
\! cat /proc/loadavg

\echo
\echo '== Build: every tag (build_tags, 50 tags) against one plain scan of the profile reading every tag column'
SELECT 'first build_tags (assigns every key its id)' AS what, round(ms::numeric, 0) AS ms, result_rows AS written
FROM pg_temp.best_ms(ARRAY[$$SELECT portrait.build_tags('bench', 'bench_wide', 'customer_id', '2026-11-01')$$], 1);
SELECT format('SELECT %s FROM bench_wide', string_agg(format('count(%I)', attname), ' + ' ORDER BY attnum)) AS scan_sql
FROM pg_attribute WHERE attrelid = 'bench_wide'::regclass AND attnum > 1 AND NOT attisdropped \gset
CREATE TEMP TABLE build_res AS
SELECT * FROM pg_temp.best_ms(ARRAY[:'scan_sql', $$SELECT portrait.build_tags('bench', 'bench_wide', 'customer_id', '2026-11-01')$$],
                              :runs);
SELECT CASE i WHEN 1 THEN 'one scan: count() of every tag column' ELSE 'build_tags rebuild (50 tags, one pass)' END AS what,
       round(ms::numeric, 0) AS best_ms
FROM build_res ORDER BY i;
SELECT round((max(ms) FILTER (WHERE i = 2) / max(ms) FILTER (WHERE i = 1))::numeric, 2) AS build_over_scan FROM build_res;

\echo
\echo '== Memory: stored bitmaps and bit-sliced indexes, per tag by kind'
SELECT t.value_type AS kind, count(DISTINCT t.name) AS tags, sum(x.n) AS bitmaps_or_indexes,
       pg_size_pretty(sum(x.bytes)) AS bytes, pg_size_pretty(sum(x.bytes) / count(DISTINCT t.name)) AS per_tag,
       round(sum(x.bytes)::numeric / count(DISTINCT t.name) / current_setting('bench.customers')::numeric, 3) AS bytes_per_tag_per_customer
FROM portrait.tag t JOIN (SELECT tag, count(*) AS n, sum(length(members::bytea)) AS bytes FROM portrait.tag_bitmap WHERE base = 'bench' GROUP BY tag
                          UNION ALL SELECT tag, 1, length(members::bytea) FROM portrait.tag_numeric WHERE base = 'bench') x ON x.tag = t.name
GROUP BY ROLLUP (t.value_type) ORDER BY t.value_type;
SELECT pg_size_pretty(pg_total_relation_size('portrait.tag_bitmap') + pg_total_relation_size('portrait.tag_numeric')) AS tag_tables,
       pg_size_pretty(pg_total_relation_size('portrait.key_dictionary')) AS key_dictionary,
       pg_size_pretty(pg_total_relation_size('bench_wide')) AS wide_table_with_indexes,
       pg_size_pretty(pg_total_relation_size('bench_long')) AS long_table_with_index;

CREATE TEMP TABLE aud_sql AS
SELECT a,
  string_agg(CASE kind WHEN 'bool' THEN format('%s%s', CASE WHEN neg THEN 'NOT ' END, tag)
                       WHEN 'in' THEN format('%s%s IN (%s)', CASE WHEN neg THEN 'NOT ' END, tag,
                                             (SELECT string_agg(quote_literal(v), ', ') FROM unnest(vals) v))
                       WHEN 'ge' THEN format('%s >= %s', tag, lo)
                       ELSE format('%s BETWEEN %s AND %s', tag, lo, hi) END, ' AND ' ORDER BY row_number) AS expression,
  'SELECT count(*) FROM bench_wide WHERE ' || string_agg(
      CASE kind WHEN 'bool' THEN format(CASE WHEN neg THEN 'NOT %I' ELSE '%I' END, tag)
                WHEN 'in' THEN format(CASE WHEN neg THEN 'NOT %I = ANY (%L)' ELSE '%I = ANY (%L)' END, tag, vals)
                WHEN 'ge' THEN format('%I >= %s', tag, lo)
                ELSE format('%I BETWEEN %s AND %s', tag, lo, hi) END, ' AND ' ORDER BY row_number) AS wide,
  'SELECT count(*) FROM (' || string_agg(format('%s SELECT customer_id FROM bench_long WHERE tag = %L AND %s',
      CASE WHEN row_number = 1 THEN '' WHEN neg THEN 'EXCEPT' ELSE 'INTERSECT' END, tag,
      CASE kind WHEN 'bool' THEN 'value = ''true''' WHEN 'in' THEN format('value = ANY (%L)', vals)
                WHEN 'ge' THEN format('value::numeric >= %s', lo)
                ELSE format('value::numeric BETWEEN %s AND %s', lo, hi) END), ' ' ORDER BY row_number) || ') s' AS long,
  count(*) AS conditions
FROM (SELECT *, row_number() OVER (PARTITION BY a ORDER BY neg, tag) FROM aud) x GROUP BY a;

SELECT set_config('bench.runs', :'runs', false);
CREATE TEMP TABLE res (a int, conditions bigint, wide_ms float8, long_ms float8, ours_ms float8, wide_n bigint, long_n bigint, ours_n bigint);
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT * FROM aud_sql ORDER BY a LOOP
    INSERT INTO res
    SELECT r.a, r.conditions, max(ms) FILTER (WHERE i = 1), max(ms) FILTER (WHERE i = 2), max(ms) FILTER (WHERE i = 3),
           max(result_rows) FILTER (WHERE i = 1), max(result_rows) FILTER (WHERE i = 2), max(result_rows) FILTER (WHERE i = 3)
    FROM pg_temp.best_ms(ARRAY[r.wide, r.long, format('SELECT portrait.audience_count(%L, %L)', 'bench', r.expression)],
                         current_setting('bench.runs')::int);
  END LOOP; END $$;

\echo
\echo '== Audience counts: audience_count against the indexed wide-table WHERE and the long table with INTERSECT/EXCEPT'
SELECT r.a AS audience, r.conditions, s.expression, r.ours_n AS customers, r.wide_n = r.ours_n AND r.long_n = r.ours_n AS equal,
       round(r.wide_ms::numeric, 1) AS wide_where_ms, round(r.long_ms::numeric, 1) AS long_intersect_ms,
       round(r.ours_ms::numeric, 2) AS audience_count_ms,
       round((r.wide_ms / r.ours_ms)::numeric, 0) AS vs_wide, round((r.long_ms / r.ours_ms)::numeric, 0) AS vs_long
FROM res r JOIN aud_sql s USING (a) ORDER BY r.a;
SELECT bool_and(wide_n = ours_n AND long_n = ours_n) AS all_counts_equal,
       round(exp(avg(ln(wide_ms / ours_ms)))::numeric, 0) AS geomean_vs_wide,
       round(exp(avg(ln(long_ms / ours_ms)))::numeric, 0) AS geomean_vs_long,
       min(round((wide_ms / ours_ms)::numeric, 0)) AS min_vs_wide,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ours_ms)::numeric, 2) AS median_count_ms,
       round(max(ours_ms)::numeric, 2) AS slowest_count_ms
FROM res;

\echo
\echo '== Members export of a ~1M-customer audience: audience_members against the same SELECT of the wide table'
SELECT i, CASE i WHEN 1 THEN 'SELECT customer_id::text FROM bench_wide WHERE b01 AND c01 = ''v0''' ELSE 'audience_members(''b01 AND c01 = ''''v0'''''')' END AS what,
       result_rows AS members, round(ms::numeric, 0) AS best_ms
FROM pg_temp.best_ms(ARRAY[$$SELECT count(k) FROM (SELECT customer_id::text AS k FROM bench_wide WHERE b01 AND c01 = 'v0') s$$,
                           $$SELECT count(k) FROM portrait.audience_members('bench', 'b01 AND c01 = ''v0''') k$$], :runs) ORDER BY i;
\echo
\echo '== Load average at the end'
\! cat /proc/loadavg
DELETE FROM portrait.tag_bitmap WHERE base = 'bench';
DELETE FROM portrait.tag_numeric WHERE base = 'bench';
DELETE FROM portrait.tag_snapshot WHERE base = 'bench';
DROP TABLE bench_wide, bench_long;
SQL
