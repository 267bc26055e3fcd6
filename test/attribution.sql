-- Channel attribution: reference answers (test/data/attribution/make_reference.py),
-- a published example, properties, errors, parallel plans.
BEGIN;
SELECT plan(40);

CREATE TEMP TABLE ref_j AS
  SELECT customer, portrait.journeys(timestamptz '2024-01-01' + t * interval '1 second', channel, amount, is_conversion) AS journeys
    FROM attribution_ref_events GROUP BY customer;
CREATE TEMP TABLE got AS
  SELECT o AS "order", m.channel, m.model, m.conversions, m.value
    FROM generate_series(1, 3) o,
         LATERAL portrait.attribution_models((SELECT portrait.attribution(journeys, jsonb_build_object('order', o)) FROM ref_j)) m
  UNION ALL
  SELECT o, r.channel, 'removal_effect', r.removal_effect, r.removal_effect
    FROM generate_series(1, 3) o,
         LATERAL portrait.attribution_removal_effects((SELECT portrait.attribution(journeys, jsonb_build_object('order', o)) FROM ref_j)) r;

CREATE FUNCTION pg_temp.off(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE
  AS $$ SELECT a IS NULL OR abs(a - b) > 1e-9 * greatest(1, abs(b)) $$;

SELECT is_empty($$
  SELECT x.*, g.conversions, g.value FROM attribution_ref_expected x
    LEFT JOIN got g USING ("order", channel, model)
   WHERE x.model IN ('first_touch', 'last_touch', 'linear', 'time_decay', 'position_based')
     AND (pg_temp.off(g.conversions, x.conversions) OR pg_temp.off(g.value, x.value))$$,
  'heuristic models equal the reference to 1e-9');
SELECT is((SELECT count(*) FROM attribution_ref_expected WHERE model = 'linear')::int, 6, 'the reference credits six channels');
SELECT is_empty($$
  SELECT x.*, g.conversions, g.value FROM attribution_ref_expected x
    LEFT JOIN got g USING ("order", channel, model)
   WHERE x.model IN ('markov', 'removal_effect')
     AND (pg_temp.off(g.conversions, x.conversions) OR pg_temp.off(g.value, x.value))$$,
  'Markov order 1, 2, 3 credits and removal effects equal the absorbing-chain solution to 1e-9');
SELECT is((SELECT count(*) FROM attribution_ref_expected WHERE model = 'markov')::int, 18, 'Markov reference rows of three orders');
SELECT is_empty($$
  SELECT x.*, g.conversions, g.value FROM attribution_ref_expected x
    LEFT JOIN got g USING ("order", channel, model)
   WHERE x.model = 'shapley'
     AND (pg_temp.off(g.conversions, x.conversions) OR pg_temp.off(g.value, x.value))$$,
  'exact Shapley values equal the enumerated classical formula to 1e-9');
SELECT is_empty($$
  SELECT * FROM got a JOIN got b USING ("order", channel)
   WHERE a.model = 'shapley' AND b.model = 'shapley_simplified'
     AND (pg_temp.off(a.conversions, b.conversions) OR pg_temp.off(a.value, b.value))$$,
  'the simplified Shapley formula equals the exact one');
SELECT ok((SELECT abs(sum(conversions) - (SELECT count(*) FROM attribution_ref_events WHERE is_conversion)) < 1e-9
             FROM got WHERE "order" = 2 AND model = 'markov'),
          'Markov credits add up to the conversions');
SELECT is_empty($$
  WITH o AS (SELECT channel, sum(conversions) AS c, sum(value) AS v
               FROM portrait.attribution_shapley_ordered((SELECT portrait.attribution(journeys) FROM ref_j)) GROUP BY channel)
  SELECT * FROM o JOIN got g USING (channel)
   WHERE g."order" = 1 AND g.model = 'shapley' AND (pg_temp.off(o.c, g.conversions) OR pg_temp.off(o.v, g.value))$$,
  'the ordered Shapley values sum over positions to the Shapley values');

-- The example of the pychattr README (a Python port of ChannelAttribution):
-- paths A>B>A>B>B>A, A>B>B>A>A, A>A, one conversion each; its simulation
-- (10000 runs) gives A 1.991106, B 1.008894.  Exactly: removing A leaves no
-- conversion (effect 1), removing B halves it (effect 0.5): A 2, B 1.
CREATE TEMP TABLE ca AS
  SELECT c, portrait.journeys(timestamptz '2024-01-01' + i * interval '1 hour', ch, 0, ch IS NULL) AS journeys
    FROM (VALUES (1, 1, 'A'), (1, 2, 'B'), (1, 3, 'A'), (1, 4, 'B'), (1, 5, 'B'), (1, 6, 'A'), (1, 7, NULL),
                 (2, 1, 'A'), (2, 2, 'B'), (2, 3, 'B'), (2, 4, 'A'), (2, 5, 'A'), (2, 6, NULL),
                 (3, 1, 'A'), (3, 2, 'A'), (3, 3, NULL)) v(c, i, ch)
   GROUP BY c;
SELECT results_eq($$SELECT channel, round(conversions::numeric, 12)
                      FROM portrait.attribution_models((SELECT portrait.attribution(journeys) FROM ca))
                     WHERE model = 'markov'$$,
                  $$VALUES ('A', 2.0), ('B', 1.0)$$, 'ChannelAttribution example: exact Markov credits A 2, B 1');
SELECT ok((SELECT bool_and(abs(conversions - CASE channel WHEN 'A' THEN 1.991106 ELSE 1.008894 END) < 0.01)
             FROM portrait.attribution_models((SELECT portrait.attribution(journeys) FROM ca)) WHERE model = 'markov'),
          'ChannelAttribution example: within 0.01 of the published simulation');

-- Properties: text round trips, combining equals one pass, order 4, Shapley
-- over 16 channels, more than 20 channels.
SELECT is((SELECT portrait.attribution(journeys, '{"order": 2}')::text::portrait.attribution_state::text FROM ref_j),
          (SELECT portrait.attribution(journeys, '{"order": 2}')::text FROM ref_j), 'attribution_state text round trip');
SELECT is((SELECT string_agg(journeys::text::portrait.journey_list::text, '/' ORDER BY customer) FROM ref_j),
          (SELECT string_agg(journeys::text, '/' ORDER BY customer) FROM ref_j), 'journey_list text round trip');
SELECT results_eq($$SELECT channel, model, round(conversions::numeric, 9) FROM portrait.attribution_models((
                      SELECT portrait.attribution(journeys ORDER BY customer DESC) FROM ref_j)) ORDER BY 1, 2$$,
                  $$SELECT channel, model, round(conversions::numeric, 9) FROM portrait.attribution_models((
                      SELECT portrait.attribution(journeys ORDER BY customer) FROM ref_j)) ORDER BY 1, 2$$,
                  'results do not depend on the order of the journeys');
SELECT ok((SELECT count(*) > 0 FROM portrait.attribution_transitions((SELECT portrait.attribution(journeys, '{"order": 4}') FROM ref_j))
            WHERE from_state LIKE '% > % > % > %'), 'order 4: states of four channels');
CREATE TEMP TABLE wide AS
  SELECT n, c, portrait.journeys(timestamptz '2024-01-01' + k * interval '1 minute',
                                 CASE WHEN k < 3 THEN 'ch' || ((hashint4(c * 10 + k) & 65535) % n) END, 1, k = 3) AS journeys
    FROM (VALUES (16), (24)) w(n), generate_series(1, 3000) c, generate_series(0, 3) k
   WHERE k < 3 OR c % 3 > 0 GROUP BY n, c;
CREATE TEMP TABLE wide_res AS
  SELECT n, m.* FROM (VALUES (16), (24)) w(n),
         LATERAL portrait.attribution_models((SELECT portrait.attribution(journeys) FROM wide WHERE wide.n = w.n)) m;
SELECT is((SELECT count(DISTINCT channel)::int FROM wide_res WHERE n = 16), 16, 'sixteen channels');
SELECT is_empty($$
  SELECT * FROM wide_res a JOIN wide_res b USING (n, channel)
   WHERE a.n = 16 AND a.model = 'shapley' AND b.model = 'shapley_simplified'
     AND (pg_temp.off(a.conversions, b.conversions) OR pg_temp.off(a.value, b.value))$$,
  'exact Shapley over 2^16 coalitions equals the simplified form');
SELECT is((SELECT count(*)::int FROM wide_res WHERE n = 24 AND model = 'shapley' AND conversions IS NULL), 24,
          'more than 20 channels: exact Shapley is NULL');
SELECT is((SELECT count(*)::int FROM wide_res WHERE n = 24 AND model = 'shapley_simplified' AND conversions IS NOT NULL), 24,
          'more than 20 channels: the simplified form is given');

-- The Markov chain as a model.
SELECT is_empty($$
  WITH m AS (SELECT portrait.attribution_markov_model(portrait.attribution(journeys, '{"order": 2}')) AS m FROM ref_j),
       e AS (SELECT c.channel, (m::jsonb -> 'removal_effects' ->> (c.i - 1)::int)::float8 AS re
               FROM m, jsonb_array_elements_text(m::jsonb -> 'channels') WITH ORDINALITY c(channel, i))
  SELECT * FROM e JOIN got g USING (channel)
   WHERE g."order" = 2 AND g.model = 'removal_effect' AND pg_temp.off(e.re, g.conversions)$$,
  'attribution_markov_model holds the removal effects');
SELECT throws_ok($$SELECT '{"kind": "attribution", "order": 1, "channels": ["a"], "states": ["(start)", "a"],
                    "transitions": [[0, 1, 0, 0], [0, 0.5, 0.4, 0]], "removal_effects": [1]}'::portrait.model$$,
                 '22P02', NULL, 'an attribution model whose transition row does not sum to 1');

-- Parallel plans equal serial ones.
CREATE TABLE attribution_par AS
  SELECT (g % 20000) + 1 AS customer,
         timestamptz '2024-01-01' + ((hashint4(g) & 2147483647) % (60 * 86400)) * interval '1 second' AS at,
         (ARRAY['display', 'email', 'organic', 'paid_search', 'social'])[1 + (hashint4(g * 7 + 1) & 2147483647) % 5] AS channel,
         ((hashint4(g * 3) & 1023) / 1024.0)::float8 AS amount,
         (hashint4(g * 11 + 5) & 2147483647) % 4 = 0 AND g > 20000 AS is_conversion
    FROM generate_series(1, 160000) g;
ANALYZE attribution_par;
CREATE TEMP TABLE serial_res AS
  SELECT m.* FROM portrait.attribution_models((
    SELECT portrait.attribution(journeys, '{"order": 2, "direct": "direct"}')
      FROM (SELECT customer, portrait.journeys(at, channel, amount, is_conversion, '30 days', true) AS journeys
              FROM attribution_par GROUP BY customer) s)) m;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL enable_sort = off;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; out text := ''; BEGIN
  FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP out := out || r || E'\n'; END LOOP; RETURN out; END $$;
SELECT matches(pg_temp.plan_of($$SELECT customer, portrait.journeys(at, channel, amount, is_conversion, '30 days', true) FROM attribution_par GROUP BY customer$$),
               'Partial (Hash|Group)?Aggregate', 'journeys: partial aggregation in a parallel plan');
SELECT matches(pg_temp.plan_of($$SELECT portrait.attribution(j, '{"order": 2}') FROM (SELECT portrait.journeys(at, channel, amount, is_conversion) AS j FROM attribution_par GROUP BY customer) s$$),
               'Partial (Hash|Group)?Aggregate', 'attribution: partial aggregation in a parallel plan');
SELECT is_empty($$
  SELECT * FROM serial_res a FULL JOIN portrait.attribution_models((
    SELECT portrait.attribution(journeys, '{"order": 2, "direct": "direct"}')
      FROM (SELECT customer, portrait.journeys(at, channel, amount, is_conversion, '30 days', true) AS journeys
              FROM attribution_par GROUP BY customer) s)) b USING (channel, model)
   WHERE a.conversions IS NULL OR b.conversions IS NULL OR pg_temp.off(b.conversions, a.conversions)
      OR pg_temp.off(b.value, a.value) OR a.cost IS DISTINCT FROM b.cost AND pg_temp.off(b.cost, a.cost)$$,
  'parallel plan gives the serial answer');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET enable_sort;

-- Errors.
SELECT throws_ok($$SELECT portrait.journeys(now(), NULL, 1, false)$$, '22004', 'channel of a touchpoint must not be NULL', 'NULL channel');
SELECT throws_ok($$SELECT portrait.journeys(NULL, 'email', 1, false)$$, '22004', 'touched_at must not be NULL', 'NULL time');
SELECT throws_ok($$SELECT portrait.journeys(now(), 'email', 1, NULL)$$, '22004', 'is_conversion must not be NULL', 'NULL kind');
SELECT throws_ok($$SELECT portrait.journeys(now(), NULL, -5, true)$$, '22023', 'conversion value must not be negative, not -5', 'negative value');
SELECT throws_ok($$SELECT portrait.journeys(now(), 'email', -1, false)$$, '22023', 'touchpoint cost must not be negative, not -1', 'negative cost');
SELECT throws_ok($$SELECT portrait.journeys(now(), NULL, 'NaN', true)$$, '22000', 'conversion value must be a finite number, not NaN', 'NaN value');
SELECT throws_ok($$SELECT portrait.attribution(j) FROM (SELECT portrait.journeys(now(), NULL, 1, true) AS j) s$$, '22000',
                 'a conversion has no touchpoint before it', 'a conversion with no touches');
SELECT throws_ok($$SELECT portrait.journeys(now(), 'ch' || g, 1, false) FROM generate_series(1, 10000) g$$, '54000',
                 'too many channels: more than 1000', '10,000 channels in one customer');
SELECT throws_ok($$SELECT portrait.attribution(j) FROM (SELECT portrait.journeys(now(), 'ch' || g, 1, false) AS j FROM generate_series(1, 10000) g GROUP BY g) s$$, '54000',
                 'too many channels: more than 1000', '10,000 channels over customers');
SELECT throws_ok($$SELECT portrait.attribution(journeys, '{"order": 0}') FROM ref_j$$, '22023',
                 'option "order" of attribution must be an integer from 1 to 4', 'order 0');
SELECT throws_ok($$SELECT portrait.attribution(journeys, '{"order": 5}') FROM ref_j$$, '22023',
                 'option "order" of attribution must be an integer from 1 to 4', 'order 5');
SELECT throws_ok($$SELECT portrait.attribution(journeys, '{"position_first": 0.6, "position_last": 0.6}') FROM ref_j$$, '22023',
                 NULL, 'position weights above 1');
SELECT throws_ok($$SELECT portrait.attribution(journeys, '{"ordr": 2}') FROM ref_j$$, '0A000', NULL, 'unknown option');
SELECT throws_ok($$SELECT portrait.attribution(journeys, jsonb_build_object('order', 1 + customer % 2)) FROM ref_j$$, '22023',
                 'aggregate options must be the same for all rows of a group', 'options changing within a group');
SET LOCAL portrait.fit_memory_limit = 64;
SELECT throws_ok($$SELECT portrait.attribution(journeys, '{"order": 3}') FROM wide$$, '54000',
                 'the attribution state needs more memory than portrait.fit_memory_limit allows', 'state over the fit budget');
RESET portrait.fit_memory_limit;
SELECT throws_ok($$SELECT '1;2;3'::portrait.attribution_state$$, '22P02', NULL, 'malformed attribution_state');
SELECT throws_ok($$SELECT '-1;0;1;5:x:1'::portrait.journey_list$$, '22P02', NULL, 'malformed journey_list');

SELECT * FROM finish();
ROLLBACK;
