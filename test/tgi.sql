-- Segment profiles (tgi, profile_agg, profile_merge, tgi_table, profile_label):
-- equivalence with the plain two-GROUP-BY SQL on the generated data, both
-- designs agree, row order and parallel plans do not matter, every error.
BEGIN;
SELECT plan(70);
SET LOCAL TimeZone = 'Asia/Shanghai';

-- customers with their attributes, RFM segment (window form) and spend;
-- a plain table, so that parallel workers can read it
CREATE TEMP TABLE tg_rfm AS
SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31')).*
FROM demo.orders GROUP BY customer_id;
CREATE TABLE tg_cust AS
SELECT c.customer_id, c.region, c.city_tier, c.age_band, c.gender, c.channel,
       (portrait.rfm_score(r.recency_days, r.frequency, r.monetary) OVER ()).segment AS segment,
       r.monetary, r.frequency
FROM demo.customers c JOIN tg_rfm r USING (customer_id) WHERE r.recency_days IS NOT NULL;
ANALYZE tg_cust;

CREATE FUNCTION pg_temp.attrs(c tg_cust) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('region', c.region, 'city_tier', c.city_tier, 'age_band', c.age_band,
                              'gender', c.gender, 'channel', c.channel,
                              'monetary', c.monetary, 'frequency', c.frequency) $$;
CREATE FUNCTION pg_temp.cat(c tg_cust) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('region', c.region, 'city_tier', c.city_tier, 'age_band', c.age_band,
                              'gender', c.gender, 'channel', c.channel, 'segment', c.segment) $$;
-- |a - b| <= tol * max(1, |b|), NULLs equal
CREATE FUNCTION pg_temp.close(a float8, b float8, tol float8 DEFAULT 1e-9) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT (a IS NULL AND b IS NULL) OR abs(a - b) <= tol * greatest(1, abs(b)) $$;

-- ---------- ours: every segment at once (GROUP BY segment, population = merge) ----------

CREATE TEMP TABLE ours AS
WITH s AS (SELECT segment, portrait.profile_agg(pg_temp.attrs(t)) AS p FROM tg_cust t GROUP BY segment)
SELECT s.segment, t.* FROM s, portrait.tgi_table(s.p, (SELECT portrait.profile_merge(p) FROM s)) t;

-- ---------- the plain SQL: two GROUP BYs and a join per attribute ----------

CREATE TEMP TABLE plain_cat AS
WITH long AS (
    SELECT segment, a.attribute, a.value
    FROM tg_cust, LATERAL (VALUES ('region', region), ('city_tier', city_tier), ('age_band', age_band),
                                  ('gender', gender), ('channel', channel)) a(attribute, value)),
seg AS (SELECT segment, count(*) AS ng FROM tg_cust GROUP BY segment),
tot AS (SELECT count(*) AS n FROM tg_cust),
g AS (SELECT segment, attribute, value, count(*) AS a FROM long GROUP BY 1, 2, 3),
p AS (SELECT attribute, value, count(*) AS pa FROM long GROUP BY 1, 2)
SELECT seg.segment, p.attribute, p.value, coalesce(g.a, 0) AS group_count, p.pa AS population_count,
       coalesce(g.a, 0)::float8 / seg.ng AS group_share, p.pa::float8 / tot.n AS population_share,
       100 * (coalesce(g.a, 0)::float8 / seg.ng) / (p.pa::float8 / tot.n) AS tgi,
       (coalesce(g.a, 0)::float8 / seg.ng - p.pa::float8 / tot.n)
         / sqrt((p.pa::float8 / tot.n) * (1 - p.pa::float8 / tot.n) * (1.0 / seg.ng - 1.0 / tot.n)) AS z,
       2 * asin(sqrt(coalesce(g.a, 0)::float8 / seg.ng))
         - 2 * asin(sqrt((p.pa - coalesce(g.a, 0))::float8 / (tot.n - seg.ng))) AS h,
       coalesce(g.a, 0)::float8 / seg.ng AS pg, seg.ng
FROM seg CROSS JOIN tot CROSS JOIN p
LEFT JOIN g ON g.segment = seg.segment AND g.attribute = p.attribute AND g.value = p.value;

CREATE TEMP TABLE plain_num AS
WITH long AS (
    SELECT segment, a.attribute, a.x
    FROM tg_cust, LATERAL (VALUES ('monetary', monetary), ('frequency', frequency::float8)) a(attribute, x)),
g AS (SELECT segment, attribute, count(x) AS n, avg(x) AS m, var_samp(x) AS v FROM long GROUP BY 1, 2),
p AS (SELECT attribute, count(x) AS n, avg(x) AS m, var_samp(x) AS v FROM long GROUP BY 1),
r AS (SELECT g.segment, l.attribute, count(l.x) AS n, avg(l.x) AS m, var_samp(l.x) AS v
      FROM (SELECT DISTINCT segment FROM tg_cust) g JOIN long l ON l.segment <> g.segment GROUP BY 1, 2)
SELECT g.segment, g.attribute, g.n AS group_count, p.n AS population_count, g.m AS group_mean, p.m AS population_mean,
       (g.m - p.m) / sqrt(p.v * (1.0 / g.n - 1.0 / p.n)) AS z,
       (g.m - r.m) / sqrt(((g.n - 1) * g.v + (r.n - 1) * r.v) / (g.n + r.n - 2)) AS d
FROM g JOIN p USING (attribute) JOIN r ON r.segment = g.segment AND r.attribute = g.attribute;

SELECT cmp_ok((SELECT count(DISTINCT segment)::int FROM tg_cust), '>=', 8, 'the demo data has RFM segments to profile');
SELECT set_eq($$SELECT segment, attribute, value, group_count, population_count FROM ours WHERE value IS NOT NULL$$,
              $$SELECT segment, attribute, value, group_count, population_count FROM plain_cat$$,
              'every segment x attribute value: the same counts as the two-GROUP-BY SQL');
SELECT is((SELECT count(*)::int FROM ours o JOIN plain_cat p USING (segment, attribute, value)
            WHERE NOT (pg_temp.close(o.group_share, p.group_share) AND pg_temp.close(o.population_share, p.population_share))),
          0, 'shares equal the plain SQL''s (1e-9)');
SELECT is((SELECT count(*)::int FROM ours o JOIN plain_cat p USING (segment, attribute, value)
            WHERE NOT pg_temp.close(o.tgi, p.tgi)), 0, 'TGI equals the plain SQL''s (1e-9)');
SELECT is((SELECT count(*)::int FROM ours o JOIN plain_cat p USING (segment, attribute, value)
            WHERE NOT pg_temp.close(o.z, p.z)), 0, 'two-proportion z equals the plain SQL''s (1e-9)');
-- the 95% interval: Wilson interval of the group share over the population share
SELECT is((SELECT count(*)::int FROM ours o JOIN plain_cat p USING (segment, attribute, value),
                  LATERAL (SELECT 1.959963984540054 ^ 2 / p.ng AS z2n) w,
                  LATERAL (SELECT (p.pg + w.z2n / 2) / (1 + w.z2n) AS c,
                                  1.959963984540054 * sqrt(p.pg * (1 - p.pg) / p.ng + w.z2n / (4 * p.ng)) / (1 + w.z2n) AS h) ci
            WHERE NOT (pg_temp.close(o.tgi_low, 100 * greatest(ci.c - ci.h, 0) / p.population_share)
                       AND pg_temp.close(o.tgi_high, 100 * least(ci.c + ci.h, 1) / p.population_share))),
          0, 'the TGI''s 95% interval equals the Wilson interval computed in SQL (1e-9)');
SELECT is((SELECT count(*)::int FROM ours WHERE tgi IS NOT NULL AND NOT (tgi_low <= tgi AND tgi <= tgi_high)), 0,
          'every TGI lies inside its interval');
SELECT is((SELECT count(*)::int FROM ours o JOIN plain_cat p USING (segment, attribute, value)
            WHERE NOT pg_temp.close(o.effect_size, p.h)), 0, 'Cohen''s h equals the plain SQL''s (1e-9)');
SELECT is((SELECT count(*)::int FROM ours WHERE value IS NULL AND attribute NOT IN ('monetary', 'frequency')), 0,
          'no NULL bucket when no attribute is NULL');
SELECT set_eq($$SELECT segment, attribute, group_count, population_count FROM ours WHERE attribute IN ('monetary', 'frequency')$$,
              $$SELECT segment, attribute, group_count, population_count FROM plain_num$$,
              'numeric attributes: the same counts as plain SQL');
SELECT is((SELECT count(*)::int FROM ours o JOIN plain_num p USING (segment, attribute)
            WHERE NOT (pg_temp.close(o.group_mean, p.group_mean) AND pg_temp.close(o.population_mean, p.population_mean))),
          0, 'group and population means equal avg() (1e-9)');
SELECT is((SELECT count(*)::int FROM ours o JOIN plain_num p USING (segment, attribute) WHERE NOT pg_temp.close(o.z, p.z)),
          0, 'numeric z equals the plain SQL''s (1e-9)');
SELECT is((SELECT count(*)::int FROM ours o JOIN plain_num p USING (segment, attribute)
            WHERE NOT pg_temp.close(o.effect_size, p.d, 1e-8)),
          0, 'Cohen''s d (pooled SD, group against the rest) equals var_samp-based SQL (1e-8)');

-- ---------- the one-group aggregate agrees with the GROUP BY design ----------

CREATE TEMP TABLE champ AS SELECT portrait.tgi(segment = 'Champions', pg_temp.attrs(t)) AS p FROM tg_cust t;
SELECT is((SELECT count(*)::int FROM portrait.tgi_table((SELECT p FROM champ)) c
             FULL JOIN (SELECT * FROM ours WHERE segment = 'Champions') o USING (attribute, value)
            WHERE NOT (c.group_count = o.group_count AND c.population_count = o.population_count
                       AND pg_temp.close(c.tgi, o.tgi) AND pg_temp.close(c.z, o.z)
                       AND pg_temp.close(c.effect_size, o.effect_size, 1e-8) AND pg_temp.close(c.group_mean, o.group_mean))),
          0, 'tgi(segment = ''Champions'', ...) gives the Champions rows of the GROUP BY segment design');
SELECT matches((SELECT portrait.profile_label(p) FROM champ), 'high monetary',
               'the Champions'' label names their high spend');
SELECT is((SELECT portrait.profile_label(p) FROM champ),
          (SELECT portrait.profile_label(s.p, (SELECT portrait.profile_merge(p) FROM (SELECT portrait.profile_agg(pg_temp.attrs(t)) AS p FROM tg_cust t GROUP BY segment) m))
             FROM (SELECT portrait.profile_agg(pg_temp.attrs(t)) AS p FROM tg_cust t WHERE segment = 'Champions') s),
          'the label is the same from either design');
SELECT is((SELECT count(*)::int FROM portrait.tgi_table((SELECT p FROM champ), 500) WHERE group_count < 500), 0,
          'min_count leaves out rows with fewer group rows');
SELECT is((SELECT count(*)::int FROM portrait.tgi_table((SELECT p FROM champ), 500)),
          (SELECT count(*)::int FROM portrait.tgi_table((SELECT p FROM champ)) WHERE group_count >= 500),
          'min_count 500 keeps exactly the rows with at least 500 Champions');

-- ---------- the record form gives the same profile as the jsonb form ----------

CREATE TEMP TABLE champ_rec AS
SELECT portrait.tgi(segment = 'Champions', a) AS p
FROM tg_cust t, LATERAL (SELECT t.region, t.city_tier, t.age_band, t.gender, t.channel, t.monetary, t.frequency) a;
SELECT is((SELECT count(*)::int FROM portrait.tgi_table((SELECT p FROM champ_rec)) a
             FULL JOIN portrait.tgi_table((SELECT p FROM champ)) b USING (attribute, value)
            WHERE NOT (a.group_count = b.group_count AND a.population_count = b.population_count
                       AND pg_temp.close(a.group_mean, b.group_mean, 1e-12) AND pg_temp.close(a.z, b.z))),
          0, 'tgi(bool, record) equals tgi(bool, jsonb) on the demo data');
SELECT set_eq($$SELECT t.segment, portrait.profile_agg(a)::text FROM tg_cust t,
                   LATERAL (SELECT t.region, t.city_tier, t.age_band, t.gender, t.channel, t.segment) a GROUP BY t.segment$$,
              $$SELECT segment, portrait.profile_agg(pg_temp.cat(t))::text FROM tg_cust t GROUP BY segment$$,
              'profile_agg(record) and profile_agg(jsonb): identical text profiles per segment');

-- ---------- row order does not matter ----------

SELECT is((SELECT portrait.tgi(segment = 'Champions', pg_temp.cat(t) ORDER BY md5(customer_id::text))::text FROM tg_cust t),
          (SELECT portrait.tgi(segment = 'Champions', pg_temp.cat(t) ORDER BY customer_id DESC)::text FROM tg_cust t),
          'counts are the same (identical state) in any row order');
SELECT is((SELECT count(*)::int FROM
            portrait.tgi_table((SELECT portrait.tgi(segment = 'Champions', pg_temp.attrs(t) ORDER BY md5(customer_id::text)) FROM tg_cust t)) a
            JOIN portrait.tgi_table((SELECT p FROM champ)) b USING (attribute)
           WHERE a.value IS NULL AND b.value IS NULL
             AND NOT (pg_temp.close(a.group_mean, b.group_mean, 1e-12) AND pg_temp.close(a.z, b.z))),
          0, 'moments agree in any row order (1e-9)');

-- ---------- parallel plans: the same answer as a serial one ----------

CALL test_helpers.force_serial();
CREATE TEMP TABLE serial_cat AS SELECT portrait.tgi(segment = 'Champions', pg_temp.cat(t))::text AS p FROM tg_cust t;
CREATE TEMP TABLE serial_seg AS
SELECT segment, portrait.profile_agg(pg_temp.cat(t))::text AS p FROM tg_cust t GROUP BY segment;
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.tgi(segment = 'Champions', jsonb_build_object('region', region, 'monetary', monetary)) FROM tg_cust$$),
               'Partial Aggregate', 'tgi runs as a partial aggregate in parallel workers');
SELECT matches(test_helpers.plan_of($$SELECT segment, portrait.profile_agg(jsonb_build_object('region', region)) FROM tg_cust GROUP BY segment$$),
               'Partial (Hash|Group)?Aggregate', 'profile_agg with GROUP BY segment runs as a partial aggregate');
SELECT is((SELECT portrait.tgi(segment = 'Champions', pg_temp.cat(t))::text FROM tg_cust t), (SELECT p FROM serial_cat),
          'parallel tgi: the identical profile as serial');
SELECT set_eq($$SELECT segment, portrait.profile_agg(pg_temp.cat(t))::text FROM tg_cust t GROUP BY segment$$,
              $$SELECT segment, p FROM serial_seg$$, 'parallel profile_agg per segment: the identical profiles');
CREATE TEMP TABLE par_champ AS SELECT portrait.tgi(segment = 'Champions', pg_temp.attrs(t)) AS p FROM tg_cust t;
CALL test_helpers.reset_parallel();
SELECT is((SELECT count(*)::int FROM portrait.tgi_table((SELECT p FROM par_champ)) a
             JOIN portrait.tgi_table((SELECT p FROM champ)) b USING (attribute)
            WHERE a.value IS NOT DISTINCT FROM b.value
              AND NOT (a.group_count = b.group_count AND pg_temp.close(a.group_mean, b.group_mean, 1e-12)
                       AND pg_temp.close(a.z, b.z) AND pg_temp.close(a.effect_size, b.effect_size))),
          0, 'parallel tgi with numbers: counts equal, moments within 1e-9');

-- ---------- NULLs ----------

SELECT results_eq($$SELECT value, group_count, population_count FROM portrait.tgi_table(
                     (SELECT portrait.tgi(g, a) FROM (VALUES (true, '{"r": "x"}'::jsonb), (true, '{}'), (false, '{"r": null}'),
                                                             (NULL, '{"r": "x"}'), (true, NULL)) v(g, a)))$$,
                  $$VALUES ('x'::text, 1::bigint, 2::bigint), (NULL, 1, 2)$$,
                  'a missing key and a JSON null are one NULL bucket; NULL in_group is outside the group; NULL attrs rows are skipped');
SELECT results_eq($$SELECT group_count, group_mean FROM portrait.tgi_table(
                     (SELECT portrait.tgi(true, a) FROM (VALUES ('{"m": 2}'::jsonb), ('{"m": null}'), ('{"m": 4}')) v(a)))$$,
                  $$VALUES (2::bigint, 3::float8)$$, 'NULL numbers are skipped');

-- ---------- errors ----------

SELECT throws_ok($$SELECT portrait.tgi(true, '[1]'::jsonb)$$, '22023', 'attrs must be a jsonb object', 'attrs not an object');
SELECT throws_ok($$SELECT portrait.profile_agg('"x"'::jsonb)$$, '22023', 'attrs must be a jsonb object', 'attrs a scalar');
SELECT throws_ok($$SELECT portrait.tgi(true, '{"a": [1]}'::jsonb)$$, '22023', 'attribute "a" has a nested value', 'nested value');
SELECT throws_ok($$SELECT portrait.tgi(true, a) FROM (VALUES ('{"a": "x"}'::jsonb), ('{"a": 2}')) v(a)$$, '22000',
                 'attribute "a" is a number in some rows and text in others', 'text then number');
SELECT throws_ok($$SELECT portrait.profile_merge(p) FROM (VALUES ('1;1;1;1;1:a:c:1:1:x:1:1'::portrait.profile), ('1;1;1;1;1:a:n:1:5:0:1:5:0')) v(p)$$,
                 '22000', 'attribute "a" is a number in some rows and text in others', 'merging a text and a numeric attribute');
SELECT throws_ok($$SELECT portrait.profile_agg(jsonb_build_object('id', g::text)) FROM generate_series(1, 1001) g$$, '54000',
                 'attribute "id" has more than 1000 distinct values', 'too many distinct values');
SELECT throws_ok($$SELECT portrait.profile_agg(a) FROM (SELECT jsonb_object_agg('k' || g, 1) AS a FROM generate_series(1, 1001) g) x$$, '54000',
                 'a profile can have at most 1000 attributes', 'too many attributes');
SELECT throws_ok($$SELECT portrait.profile_agg(r) FROM (SELECT 'NaN'::float8 AS x) r$$, '22000',
                 'x must be a finite number, not NaN', 'a NaN number in a record');
SELECT throws_ok($$SELECT portrait.tgi(true, r) FROM (SELECT '-Infinity'::real AS x) r$$, '22000',
                 'x must be a finite number, not -Infinity', 'an infinite number in a record');
SELECT throws_ok($$SELECT portrait.tgi(true, r) FROM (SELECT 'NaN'::numeric AS x) r$$, '22000',
                 'x must be a finite number, not NaN', 'a NaN numeric in a record');
SELECT throws_ok((SELECT 'SELECT portrait.profile_agg(r) FROM (SELECT ' || string_agg(g || ' AS c' || g, ', ') || ') r'
                    FROM generate_series(1, 1001) g), '54000', 'a profile can have at most 1000 attributes',
                 'a record with too many columns');
SELECT throws_ok($$SELECT portrait.tgi(true, r) FROM (SELECT g::text AS id FROM generate_series(1, 1001) g) r$$, '54000',
                 'attribute "id" has more than 1000 distinct values', 'too many distinct values of a record column');
SELECT throws_ok($$SELECT portrait.tgi_table((SELECT p FROM champ), -1)$$, '22023',
                 'min_count must be zero or positive, not -1', 'negative min_count');
SELECT throws_ok($$SELECT portrait.profile_label((SELECT p FROM champ), 11)$$, '22023',
                 'terms must be between 1 and 10, not 11', 'terms out of range');
SELECT throws_ok($$SELECT portrait.profile_label((SELECT p FROM champ), 3, -5)$$, '22023',
                 'min_count must be zero or positive, not -5', 'negative min_count of a label');
SELECT throws_ok($$SELECT portrait.tgi_table('1;1;1;1;1:a:c:1:1:x:1:1'::portrait.profile, '1;1;1;1;1:a:c:1:1:y:1:1'::portrait.profile)$$,
                 '22000', 'group profile is not part of the population profile', 'group value missing from the population');
SELECT throws_ok($$SELECT portrait.tgi_table('1;2;2;1;1:a:c:1:1:x:2:2'::portrait.profile, '1;3;3;1;1:a:c:1:1:x:1:1'::portrait.profile)$$,
                 '22000', 'group profile is not part of the population profile', 'group count above the population''s');
SELECT throws_ok($$SELECT portrait.tgi_table('1;1;1;1;1:b:c:1:1:x:1:1'::portrait.profile, '1;3;3;1;1:a:c:1:1:x:1:1'::portrait.profile)$$,
                 '22000', 'group profile is not part of the population profile', 'group attribute missing from the population');
SELECT throws_ok($$SELECT portrait.tgi_table('1;2;2;0'::portrait.profile, '1;1;1;0'::portrait.profile)$$,
                 '22000', 'group profile is not part of the population profile', 'group larger than the population');
SELECT throws_ok($$SELECT 'x'::portrait.profile$$, '22P02', NULL, 'text form: garbage');
SELECT throws_ok($$SELECT '2;0;0;0'::portrait.profile$$, '22P02', NULL, 'text form: unknown version');
SELECT throws_ok($$SELECT '1;1;1;1;1:a:c:2:1:y:1:1:1:x:0:0'::portrait.profile$$, '22P02', NULL, 'text form: unsorted values');
SELECT throws_ok($$SELECT '1;1;1;1;1:a:n:2:1:0:1:1:0'::portrait.profile$$, '22P02', NULL, 'text form: more numbers than rows');
SELECT throws_ok($$SELECT '1;1;1;1;1:a:c:1:1:x:1:1;'::portrait.profile$$, '22P02', NULL, 'text form: trailing text');

SELECT throws_ok($$SELECT portrait.tgi_table('1;1;1;1;1:a:c:1:1:x:1:1'::portrait.profile, '1;1;1;1;1:a:n:1:5:0:1:5:0'::portrait.profile)$$,
                 '22000', 'attribute "a" is a number in some rows and text in others', 'group text attribute, population numeric');
SELECT throws_ok($$SELECT portrait.tgi_table('1;2;2;1;1:a:n:2:1:0:2:1:0'::portrait.profile, '1;3;3;1;1:a:n:1:1:0:1:1:0'::portrait.profile)$$,
                 '22000', 'group profile is not part of the population profile', 'group with more numbers than the population');
SELECT throws_ok($$SELECT portrait.tgi_table('1;2;2;1;1:a:u'::portrait.profile, '1;3;3;1;1:a:c:1:1:x:2:2'::portrait.profile)$$,
                 '22000', 'group profile is not part of the population profile', 'group with more NULLs than the population');
SELECT throws_ok($$SELECT '1;1;1;2;1:b:u;1:a:u'::portrait.profile$$, '22P02', NULL, 'text form: unsorted attributes');
SELECT throws_ok($$SELECT '1;1;1;1;1:a:c:1:1:x:2:1'::portrait.profile$$, '22P02', NULL, 'text form: group count above the count');
SELECT throws_ok($$SELECT '1;1;1;1;9:a:u'::portrait.profile$$, '22P02', NULL, 'text form: string shorter than its length');
SELECT throws_ok($$SELECT '1;1;1;1;1:a:n:1:1:-1:1:1:0'::portrait.profile$$, '22P02', NULL, 'text form: negative M2');
SELECT throws_ok($$SELECT '1;1;1;1;1:a:z'::portrait.profile$$, '22P02', NULL, 'text form: unknown attribute kind');
SELECT throws_ok($$SELECT '1;1;1;1001'::portrait.profile$$, '22P02', NULL, 'text form: attribute count out of range');
SELECT throws_ok($$SELECT '1;1;2;1;1:a:c:2:1:x:1:2:1:y:1:1'::portrait.profile$$, '22P02', NULL, 'text form: counts add up to more than the rows');

-- the record forms with names: a row whose columns lost their names (ROW(...),
-- or a distributed plan) counts under the names given
SELECT is((SELECT portrait.profile_agg(ROW(t.segment, t.monetary), ARRAY['segment', 'monetary'])::text FROM tg_cust t),
          (SELECT portrait.profile_agg(a)::text FROM tg_cust t, LATERAL (SELECT t.segment, t.monetary) a),
          'profile_agg(record, names) equals the named record form');
SELECT is((SELECT portrait.tgi(t.segment = 'Champions', ROW(t.segment, t.monetary), ARRAY['s', 'm'])::text FROM tg_cust t),
          (SELECT portrait.tgi(t.segment = 'Champions', a)::text FROM tg_cust t, LATERAL (SELECT t.segment AS s, t.monetary AS m) a),
          'tgi(in_group, record, names) equals the named record form');
SELECT throws_ok($$SELECT portrait.profile_agg(ROW(1, 'x'))$$, '22023', 'the columns of the attrs record have no names',
                 'an anonymous row without names is refused (not profiled as f1, f2)');
SELECT throws_ok($$SELECT portrait.tgi(true, ROW(1, 'x'), ARRAY['a'])$$, '22023', 'the number of attribute names (1) differs from the number of columns of attrs (2)',
                 'names: one per column');
SELECT throws_ok($$SELECT portrait.tgi(true, ROW(1, 'x'), NULL)$$, '22004', 'attribute names must not be NULL', 'names: NULL');
SELECT throws_ok($$SELECT portrait.profile_agg(ROW(1, 'x'), ARRAY['a', NULL])$$, '22004', 'attribute names must not be NULL', 'names: a NULL name');
SELECT throws_ok($$SELECT portrait.profile_agg(ROW(1, 'x'), ARRAY['a', ''])$$, '22023', 'attribute names must not be empty', 'names: an empty name');

SELECT * FROM finish();
ROLLBACK;
