-- Segment profiles: TGI, z-scores and effect sizes of a group against its
-- population, for text and numeric attributes at once.
--
-- Ten customers, two segments.  Segment A: 4 customers (ids 1-4), B: 6.
CREATE TEMP TABLE cust (id int, seg text, region text, tier text, spend numeric);
INSERT INTO cust VALUES
    (1, 'A', 'east', 't1', 100), (2, 'A', 'east', 't1', 80), (3, 'A', 'west', 't2', 60),
    (4, 'A', NULL, 't1', NULL),
    (5, 'B', 'east', 't2', 20), (6, 'B', 'west', 't2', 10), (7, 'B', 'west', 't3', 30),
    (8, 'B', 'west', 't3', 20), (9, 'B', 'east', 't3', 40), (10, 'B', 'west', 't2', 40);

-- One pass: the profile of segment A (in_group) against all rows.  Text
-- values are counted, numbers get count/mean/M2.  The state is readable:
-- rows in group; rows; then per attribute its values with (group, all) counts.
CREATE TEMP TABLE prof AS
SELECT portrait.tgi(seg = 'A', jsonb_build_object('region', region, 'tier', tier, 'spend', spend)) AS p
FROM cust;
SELECT p FROM prof;

-- By hand, segment A (ng = 4 of N = 10):
--   region east: 2/4 = 0.5 in A, 4/10 = 0.4 overall: TGI = 0.5 / 0.4 * 100 = 125;
--     z = (0.5 - 0.4) / sqrt(0.4 * 0.6 * (1/4 - 1/10)) = 0.1 / sqrt(0.036) = 0.5270;
--     Cohen's h against the rest (2 of 6): 2 asin(sqrt(0.5)) - 2 asin(sqrt(1/3))
--     = 1.5708 - 1.2310 = 0.3398
--   region NULL (customer 4): 1/4 in A, 1/10 overall: TGI 250 (its own bucket)
--   tier t1: 3/4 against 3/10: TGI 250, z = 0.45 / sqrt(0.21 * 0.15) = 2.5355,
--     h = 2 asin(sqrt(0.75)) - 2 asin(0) = 2.0944; t3: 0 of 4, TGI 0
--   spend (NULL skipped): A = {100, 80, 60}, mean 80; all 9 values sum 400,
--     mean 44.4444, M2 = 7222.2222, s^2 = 902.7778;
--     z = (80 - 44.4444) / sqrt(902.7778 * (1/3 - 1/9)) = 35.5556 / 14.1639 = 2.5103;
--     rest = {20, 10, 30, 20, 40, 40}: mean 26.6667, M2 = 733.3333;
--     pooled SD = sqrt((800 + 733.3333) / 7) = 14.8004, d = 53.3333 / 14.8004 = 3.6035
--   95% interval of a TGI: Wilson interval of the group share divided by the
--   population share; east: z^2/n = 3.8415 / 4 = 0.9604, centre
--     (0.5 + 0.4802) / 1.9604 = 0.5, half 1.96 * sqrt(0.0625 + 0.0600) / 1.9604
--     = 0.3500: share in [0.1500, 0.8500], TGI in [37.51, 212.49];
--   t3 (0 of 4): share in [0, 0.4899], TGI in [0, 163.30]
SELECT attribute, value, group_count, group_share, population_count, population_share,
       round(tgi::numeric, 2) AS tgi, round(tgi_low::numeric, 2) AS tgi_low,
       round(tgi_high::numeric, 2) AS tgi_high, round(z::numeric, 4) AS z,
       round(effect_size::numeric, 4) AS effect_size, round(group_mean::numeric, 4) AS group_mean,
       round(population_mean::numeric, 4) AS population_mean
FROM prof, portrait.tgi_table(p);

-- Small cells out: min_count keeps rows with at least that many group rows.
SELECT attribute, value, group_count, round(tgi::numeric, 2) AS tgi
FROM prof, portrait.tgi_table(p, min_count => 2);

-- The label: strongest effects (|d| or h of over-represented values >= 0.5,
-- "very" from 1.5), as k-means cluster profiles are labelled.
SELECT portrait.profile_label(p) AS label, portrait.profile_label(p, terms => 1) AS one_term FROM prof;

-- The record form: the columns of a row are the attributes (numbers: means;
-- text, booleans and any other type: counted values).  No jsonb is built per
-- row, so it is the fast form; it gives the same profile.
SELECT attribute, value, group_count, population_count, round(tgi::numeric, 2) AS tgi,
       round(group_mean::numeric, 4) AS group_mean
FROM (SELECT portrait.tgi(seg = 'A', a) AS p
      FROM cust c, LATERAL (SELECT c.region, c.tier, c.spend) a) x, portrait.tgi_table(p);
SELECT (SELECT portrait.tgi(seg = 'A', a)::text FROM cust c, LATERAL (SELECT c.region, c.tier, c.spend) a)
       = (SELECT p::text FROM prof) AS same_as_jsonb;
-- dates by their text, booleans as true/false, integers as numbers
SELECT attribute, value, group_count, population_count, group_mean, population_mean
FROM (SELECT portrait.tgi(g, r) AS p
      FROM (VALUES (true, date '2024-01-01', true, 3), (false, date '2024-01-01', false, 5),
                   (false, date '2024-01-02', NULL, NULL)) v(g, day, vip, n),
           LATERAL (SELECT v.day, v.vip, v.n) r) x, portrait.tgi_table(p);

-- Every segment at once: profile_agg per segment with GROUP BY, the
-- population is the profile_merge of the segments' profiles (one scan).
WITH s AS (
    SELECT seg, portrait.profile_agg(jsonb_build_object('region', region, 'tier', tier, 'spend', spend)) AS p
    FROM cust GROUP BY seg)
SELECT s.seg, t.attribute, t.value, t.group_count, t.population_count,
       round(t.tgi::numeric, 2) AS tgi, round(t.z::numeric, 4) AS z,
       round(t.effect_size::numeric, 4) AS effect_size, round(t.group_mean::numeric, 4) AS group_mean
FROM s, portrait.tgi_table(s.p, (SELECT portrait.profile_merge(p) FROM s)) t
ORDER BY s.seg, t.attribute, t.value;

WITH s AS (
    SELECT seg, portrait.profile_agg(jsonb_build_object('region', region, 'tier', tier, 'spend', spend)) AS p
    FROM cust GROUP BY seg)
SELECT s.seg, portrait.profile_label(s.p, (SELECT portrait.profile_merge(p) FROM s)) AS label
FROM s ORDER BY s.seg;

-- A missing key and a JSON null are the same NULL bucket; booleans are values;
-- a row with NULL attrs is not counted at all; NULL in_group is outside the group.
SELECT attribute, value, group_count, population_count
FROM (SELECT portrait.tgi(g, a) AS p
      FROM (VALUES (true, '{"vip": true, "city": "x"}'::jsonb), (NULL, '{"vip": false}'),
                   (false, '{"vip": null, "city": "y"}'), (true, NULL)) v(g, a)) x,
     portrait.tgi_table(p);

-- The text form reads back to the same profile.
SELECT p::text::portrait.profile::text = p::text AS round_trip FROM prof;

-- Errors.
SELECT portrait.tgi(true, '[1, 2]'::jsonb);
SELECT portrait.tgi(true, '{"a": {"b": 1}}'::jsonb);
SELECT portrait.tgi(true, a) FROM (VALUES ('{"a": 1}'::jsonb), ('{"a": "x"}')) v(a);
SELECT portrait.profile_agg(jsonb_build_object('id', g::text)) FROM generate_series(1, 1001) g;
SELECT portrait.profile_agg(r) FROM (SELECT 'NaN'::float8 AS x) r;
-- a row without column names (ROW(...), or a distributed plan) needs names
SELECT portrait.profile_agg(ROW(c.region, c.tier)) FROM cust c;
SELECT t.attribute, t.value, t.group_count FROM (SELECT portrait.profile_agg(ROW(c.region, c.tier), ARRAY['region', 'tier']) AS p FROM cust c) x,
       portrait.tgi_table(x.p) t ORDER BY 1, 2;
SELECT portrait.tgi(true, ROW(c.region, c.tier), ARRAY['region']) FROM cust c;
SELECT * FROM prof, portrait.tgi_table(p, min_count => -1);
SELECT portrait.profile_label(p, terms => 0) FROM prof;
-- a group profile must come from the population's rows
SELECT * FROM portrait.tgi_table('1;1;1;1;1:a:c:1:1:x:1:1'::portrait.profile, '1;1;1;1;1:a:c:1:1:y:1:1'::portrait.profile);
SELECT * FROM portrait.tgi_table('1;1;1;1;1:a:c:1:1:x:1:1'::portrait.profile, '1;1;1;1;1:a:n:1:5:0:1:5:0'::portrait.profile);
SELECT * FROM portrait.tgi_table('1;2;2;0'::portrait.profile, '1;1;1;0'::portrait.profile);
-- malformed text forms
SELECT '1;2;1;0'::portrait.profile;
SELECT '1;1;1;2;1:b:u;1:a:u'::portrait.profile;
SELECT '1;1;1;1;1:a:c:1:1:x:2:1'::portrait.profile;
SELECT '1;1;1;1;9:a:u'::portrait.profile;
