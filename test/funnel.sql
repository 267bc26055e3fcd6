-- window_funnel, funnel_counts, funnel_table: errors, order independence,
-- parallel plans.
BEGIN;
SELECT plan(30);

-- errors named in the issue
SELECT throws_ok($$SELECT portrait.window_funnel('-1 second', now(), true)$$, '22023', NULL,
                 'negative window is refused');
SELECT throws_ok($$SELECT portrait.window_funnel(NULL::interval, now(), true)$$, '22004', NULL,
                 'NULL window is refused');
SELECT throws_ok($$SELECT portrait.window_funnel('1 hour', now(), VARIADIC array_fill(true, ARRAY[33]))$$,
                 '54000', 'window_funnel steps: 33 given, between 1 and 32 allowed', 'more than 32 steps is refused');
SELECT lives_ok($$SELECT portrait.window_funnel('1 hour', now(), VARIADIC array_fill(true, ARRAY[32]))$$,
                '32 steps are allowed');
SELECT throws_ok($$SELECT portrait.window_funnel('1 hour', 'strict_sometimes', now(), true)$$, '22023',
                 'unknown window_funnel mode "strict_sometimes"', 'unknown mode is refused');
SELECT throws_ok($$SELECT portrait.window_funnel('1 hour', 'allow_reentry, strict_once', now(), true)$$, '22023',
                 'window_funnel mode allow_reentry needs strict_order', 'allow_reentry without strict_order is refused');
SELECT throws_ok($$SELECT portrait.window_funnel('1 hour', '-infinity'::timestamptz, true)$$, '22008', NULL,
                 'infinite timestamp is refused');
SELECT throws_ok($$SELECT portrait.window_funnel(w, now(), true) FROM (VALUES ('1 hour'::interval), ('2 hours')) v(w)$$,
                 '22023', NULL, 'window changing within a group is refused');
SELECT throws_ok($$SELECT portrait.funnel_counts(l, 2) FROM (VALUES (3)) v(l)$$, '22023', NULL,
                 'level above steps is refused');
SELECT throws_ok($$SELECT portrait.funnel_counts(1, 40)$$, '22023', NULL, 'funnel_counts steps above 32 refused');
SELECT throws_ok($$SELECT * FROM portrait.funnel_table('{1,2}')$$, '22023', NULL,
                 'increasing funnel counts are refused');
SELECT throws_ok($$SELECT 'funnel;2;0;5;0:;1;7:9'::portrait.event_list$$, '22P02', NULL,
                 'event_list text input checks the mask against the conditions');

-- text round trip of the state
SELECT is('funnel;2;0;3600000000;0:;2;1:1,2:2'::portrait.event_list::text,
          'funnel;2;0;3600000000;0:;2;1:1,2:2', 'event_list text round trip');

-- NULLs: a NULL steps array skips the row; 32 steps all met gives 32
SELECT is(portrait.window_funnel('1 hour', now(), VARIADIC NULL::bool[]), NULL, 'NULL steps array: no row');
SELECT is(portrait.window_funnel('1 hour', now(), VARIADIC array_fill(true, ARRAY[32])), 32,
          'one row meeting all 32 steps reaches 32');

-- ClickHouse's algorithm restated in test/data/behaviour/make_reference.py:
-- 400 random histories x 4 windows x 11 mode sets
SELECT is_empty($$
  WITH got AS (
    SELECT e.case_id, c.w, c.mode,
           portrait.window_funnel(make_interval(secs => c.w), c.mode, timestamptz '2024-01-01' + e.ts * interval '1 second',
                                  e.mask & 1 > 0, e.mask & 2 > 0, e.mask & 4 > 0, e.mask & 8 > 0) AS level
      FROM behaviour_funnel_events e
     CROSS JOIN (SELECT DISTINCT "window" AS w, mode FROM behaviour_funnel_expected) c
     GROUP BY 1, 2, 3)
  SELECT x.* FROM behaviour_funnel_expected x
    LEFT JOIN got ON got.case_id = x.case_id AND got.w = x."window" AND got.mode = x.mode
   WHERE x.level IS DISTINCT FROM got.level$$,
  'window_funnel equals the reference on 17600 history/window/mode cases');

-- the same reference through the VARIADIC form (the call above resolves to
-- the fixed-arity form)
SELECT is_empty($$
  WITH got AS (
    SELECT e.case_id, c.w, c.mode,
           portrait.window_funnel(make_interval(secs => c.w), c.mode, timestamptz '2024-01-01' + e.ts * interval '1 second',
                                  VARIADIC ARRAY[e.mask & 1 > 0, e.mask & 2 > 0, e.mask & 4 > 0, e.mask & 8 > 0]) AS level
      FROM behaviour_funnel_events e
     CROSS JOIN (SELECT DISTINCT "window" AS w, mode FROM behaviour_funnel_expected) c
     GROUP BY 1, 2, 3)
  SELECT x.* FROM behaviour_funnel_expected x
    LEFT JOIN got ON got.case_id = x.case_id AND got.w = x."window" AND got.mode = x.mode
   WHERE x.level IS DISTINCT FROM got.level$$,
  'window_funnel VARIADIC form equals the reference too');

-- steps as separate arguments (2 to 8) resolve to the fixed-arity forms,
-- which agree with the VARIADIC form, NULL conditions counting as false
CREATE TEMP VIEW funnel_fixed AS
SELECT portrait.window_funnel('1 day', ts, name = 'view', name = 'cart', name = 'pay') AS f
  FROM behaviour_events;
SELECT unalike(pg_get_viewdef('funnel_fixed'), '%VARIADIC%', 'separate step arguments use a fixed-arity form');
SELECT is_empty($$
  SELECT uid FROM behaviour_events GROUP BY uid
  HAVING portrait.window_funnel('2 days', ts, name = 'view', name = 'cart')
           IS DISTINCT FROM portrait.window_funnel('2 days', ts, VARIADIC ARRAY[name = 'view', name = 'cart'])
      OR portrait.window_funnel('2 days', ts, name = 'view', NULLIF(name = 'cart', false), name = 'pay')
           IS DISTINCT FROM portrait.window_funnel('2 days', ts, VARIADIC ARRAY[name = 'view', NULLIF(name = 'cart', false), name = 'pay'])
      OR portrait.window_funnel('3 days', 'strict_increase', ts, name = 'view', name = 'cart', name = 'checkout', name = 'pay', name = 'view')
           IS DISTINCT FROM portrait.window_funnel('3 days', 'strict_increase', ts, VARIADIC ARRAY[name = 'view', name = 'cart', name = 'checkout', name = 'pay', name = 'view'])
      OR portrait.window_funnel('5 days', ts, name = 'view', name = 'cart', name = 'view', name = 'checkout', name = 'view', name = 'pay', name = 'search', name = 'pay')
           IS DISTINCT FROM portrait.window_funnel('5 days', ts, VARIADIC ARRAY[name = 'view', name = 'cart', name = 'view', name = 'checkout', name = 'view', name = 'pay', name = 'search', name = 'pay'])
      OR portrait.window_funnel('1 day', 'strict_order', ts, name = 'view', name = 'cart', name = 'checkout', name = 'pay', name = 'view', name = 'cart', name = 'pay')
           IS DISTINCT FROM portrait.window_funnel('1 day', 'strict_order', ts, VARIADIC ARRAY[name = 'view', name = 'cart', name = 'checkout', name = 'pay', name = 'view', name = 'cart', name = 'pay'])$$,
  'fixed-arity and VARIADIC window_funnel agree for 2, 3, 5, 7 and 8 steps');

-- order independence: the same rows in reverse order give the same levels
SELECT results_eq(
  $$SELECT uid, portrait.window_funnel('2 days', ts, name = 'view', name = 'cart', name = 'checkout', name = 'pay')
      FROM (SELECT * FROM behaviour_events ORDER BY ts, name) s GROUP BY uid ORDER BY uid$$,
  $$SELECT uid, portrait.window_funnel('2 days', ts, name = 'view', name = 'cart', name = 'checkout', name = 'pay')
      FROM (SELECT * FROM behaviour_events ORDER BY ts DESC, name DESC) s GROUP BY uid ORDER BY uid$$,
  'levels do not depend on row order');

-- parallel plans: partial aggregation, same answer as serial
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.window_funnel('7 days', 'strict_increase', ts, name = 'view', name = 'cart', name = 'pay') FROM behaviour_events$$),
               'Partial Aggregate', 'window_funnel runs as a partial aggregate');
CREATE TEMP TABLE par AS
SELECT portrait.window_funnel('7 days', 'strict_increase', ts, name = 'view', name = 'cart', name = 'pay') AS all_level,
       portrait.window_funnel('1 day', 'strict_once,strict_deduplication', ts, name = 'view', name IN ('view', 'cart'), name = 'pay') AS once_level,
       portrait.funnel_counts(hashint4(uid) & 3, 3) AS counts
  FROM behaviour_events;
CREATE TEMP TABLE par_group AS
SELECT uid, portrait.window_funnel('3 days', 'strict_order', ts, name = 'view', name = 'cart') AS level
  FROM behaviour_events GROUP BY uid;
CALL test_helpers.force_serial();
SELECT results_eq(
  $$SELECT all_level, once_level, counts FROM par$$,
  $$SELECT portrait.window_funnel('7 days', 'strict_increase', ts, name = 'view', name = 'cart', name = 'pay'),
           portrait.window_funnel('1 day', 'strict_once,strict_deduplication', ts, name = 'view', name IN ('view', 'cart'), name = 'pay'),
           portrait.funnel_counts(hashint4(uid) & 3, 3)
      FROM behaviour_events$$,
  'parallel and serial whole-table funnels agree');
SELECT results_eq(
  $$SELECT uid, level FROM par_group ORDER BY uid$$,
  $$SELECT uid, portrait.window_funnel('3 days', 'strict_order', ts, name = 'view', name = 'cart')
      FROM behaviour_events GROUP BY uid ORDER BY uid$$,
  'parallel and serial per-customer funnels agree');

-- the funnel table of the fixture adds up
SELECT is((SELECT users FROM portrait.funnel_table(
             (SELECT portrait.funnel_counts(level, 2) FROM par_group)) WHERE step = 1),
          (SELECT count(*) FROM par_group WHERE level >= 1), 'funnel_table step 1 counts customers with level >= 1');
-- ClickHouse's own cases (tests/queries/0_stateless/00632_aggregation_window_funnel,
-- as of the commit README names), times in seconds from 2024-01-01; the
-- strict_order, allow_reentry and e-commerce cases are in sql/funnel.sql.
-- ClickHouse's UInt64 case (times near 1e14 units) has no timestamptz
-- counterpart and is left out.
CREATE FUNCTION pg_temp.t(s float8) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS
$$ SELECT timestamptz '2024-01-01 00:00:00+00' + s * interval '1 second' $$;
CREATE TEMP TABLE ch_basic (s int, event int);
INSERT INTO ch_basic SELECT g, 1000 + g FROM generate_series(0, 8) g;
SELECT is(ARRAY[
    (SELECT portrait.window_funnel('10000 seconds', pg_temp.t(s), event = 1000) FROM ch_basic),
    (SELECT portrait.window_funnel('10000 seconds', pg_temp.t(s), event = 1000, event = 1001) FROM ch_basic),
    (SELECT portrait.window_funnel('10000 seconds', pg_temp.t(s), event = 1000, event = 1001, event = 1002) FROM ch_basic),
    (SELECT portrait.window_funnel('10000 seconds', pg_temp.t(s), event = 1000, event = 1001, event = 1002, event = 1008) FROM ch_basic),
    (SELECT portrait.window_funnel('1 second', pg_temp.t(s), event = 1000) FROM ch_basic),
    (SELECT portrait.window_funnel('2 seconds', pg_temp.t(s), event = 1003, event = 1004, event = 1005, event = 1006, event = 1007) FROM ch_basic),
    (SELECT portrait.window_funnel('3 seconds', pg_temp.t(s), event = 1003, event = 1004, event = 1005, event = 1006, event = 1007) FROM ch_basic),
    (SELECT portrait.window_funnel('4 seconds', pg_temp.t(s), event = 1003, event = 1004, event = 1005, event = 1006, event = 1007) FROM ch_basic)],
  ARRAY[1, 2, 3, 4, 1, 3, 4, 5], 'ClickHouse funnel_test: windows of 1 to 10000 s');
CREATE TEMP TABLE ch_basic2 (s int, event int);
INSERT INTO ch_basic2 SELECT 3661 + g, 1001 + g FROM generate_series(0, 7) g;
SELECT is(ARRAY[
    (SELECT portrait.window_funnel('4 seconds', pg_temp.t(s), event = 1003, event = 1004, event = 1005, event = 1006, event = 1007) FROM ch_basic2),
    (SELECT portrait.window_funnel('10000 seconds', pg_temp.t(s), event = 1001, event = 1008) FROM ch_basic2),
    (SELECT portrait.window_funnel('10000 seconds', pg_temp.t(s), event = 1008, event = 1001) FROM ch_basic2),
    (SELECT portrait.window_funnel('4 seconds', pg_temp.t(s), event <= 1007, event >= 1002, event <= 1006, event >= 1004) FROM ch_basic2)],
  ARRAY[5, 2, 1, 4], 'ClickHouse funnel_test2: steps out of order, overlapping conditions');
CREATE TEMP TABLE ch_strict (s int, event int);
INSERT INTO ch_strict VALUES (0, 1000), (10, 1001), (20, 1002), (30, 1003), (40, 1004), (50, 1005), (51, 1005),
                             (60, 1006), (70, 1007), (80, 1008);
SELECT is(ARRAY[
    (SELECT portrait.window_funnel('10000 seconds', 'strict_deduplication', pg_temp.t(s), event = 1000, event = 1001, event = 1002,
                                   event = 1003, event = 1004, event = 1005, event = 1006) FROM ch_strict),
    (SELECT portrait.window_funnel('10000 seconds', pg_temp.t(s), event = 1000, event = 1001, event = 1002,
                                   event = 1003, event = 1004, event = 1005, event = 1006) FROM ch_strict)],
  ARRAY[6, 7], 'ClickHouse funnel_test_strict: strict_deduplication stops at the repeated step');
CREATE TEMP TABLE ch_null (s int, u int, a text, b text);
INSERT INTO ch_null VALUES (1, 1, 'a1', 'b1'), (2, 1, 'a2', 'b2'), (1, 2, 'a1', NULL), (2, 2, 'a2', NULL),
                           (1, 3, NULL, NULL), (1, 4, NULL, 'b1'), (2, 4, 'a2', NULL), (3, 4, NULL, 'b3');
SELECT results_eq(
  $$SELECT u, portrait.window_funnel('1 day', pg_temp.t(s), coalesce(a, '') = 'a1', coalesce(a, '') = 'a2'),
              portrait.window_funnel('1 day', pg_temp.t(s), coalesce(a, '') = 'a1', coalesce(b, '') = 'b2'),
              portrait.window_funnel('1 day', pg_temp.t(s), a IS NULL AND b IS NULL),
              portrait.window_funnel('1 day', pg_temp.t(s), a IS NULL, coalesce(b, '') = 'b3'),
              portrait.window_funnel('1 day', 'strict_order', pg_temp.t(s), a IS NULL, coalesce(b, '') = 'b3')
      FROM ch_null GROUP BY u ORDER BY u$$,
  $$VALUES (1, 2, 2, 0, 0, 0), (2, 2, 1, 0, 0, 0), (3, 0, 0, 1, 1, 1), (4, 0, 0, 0, 2, 1)$$,
  'ClickHouse funnel_test_non_null: conditions on nullable columns');
CREATE TEMP TABLE ch_increase (s int, event int);
INSERT INTO ch_increase VALUES (0, 1000), (1, 1001), (1, 1002), (1, 1003), (2, 1004);
SELECT is(ARRAY[
    (SELECT portrait.window_funnel('10000 seconds', pg_temp.t(s), event = 1000, event = 1001, event = 1002, event = 1003, event = 1004) FROM ch_increase),
    (SELECT portrait.window_funnel('10000 seconds', 'strict_increase', pg_temp.t(s), event = 1000, event = 1001, event = 1002, event = 1003, event = 1004) FROM ch_increase),
    (SELECT portrait.window_funnel('10000 seconds', pg_temp.t(s), event = 1004, event = 1004, event = 1004) FROM ch_increase),
    (SELECT portrait.window_funnel('10000 seconds', 'strict_once', pg_temp.t(s), event = 1004, event = 1004, event = 1004) FROM ch_increase),
    (SELECT portrait.window_funnel('10000 seconds', 'strict_increase', pg_temp.t(s), event = 1004, event = 1004, event = 1004) FROM ch_increase)],
  ARRAY[5, 2, 3, 1, 1], 'ClickHouse funnel_test_strict_increase: strict_increase and strict_once');
CREATE TEMP TABLE ch_once (s int, result text, uid int);
INSERT INTO ch_once VALUES (100, 'failure', 234), (200, 'success', 345), (210, 'failure', 345), (230, 'success', 345),
                           (250, 'failure', 234), (180, 'failure', 123), (220, 'failure', 123), (250, 'success', 123);
SELECT results_eq(
  $$SELECT uid, portrait.window_funnel('200 seconds', 'strict_once, strict_increase', pg_temp.t(s), result = 'failure', result = 'failure', result = 'success'),
                portrait.window_funnel('200 seconds', 'strict_once', pg_temp.t(s), result = 'failure', result = 'failure', result = 'success'),
                portrait.window_funnel('200 seconds', 'strict_once, strict_deduplication', pg_temp.t(s), result = 'failure', result = 'failure', result = 'success')
      FROM ch_once GROUP BY uid ORDER BY uid$$,
  $$VALUES (123, 3, 3, 3), (234, 2, 2, 2), (345, 1, 1, 1)$$,
  'ClickHouse strict_once cases: a row fills one step of a chain');

SELECT * FROM finish();
ROLLBACK;
