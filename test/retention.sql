-- retention, cohort_activity, cohort_matrix, session_id: agreement with
-- hand-written SQL, errors, parallel plans.
BEGIN;
SELECT plan(36);
SET LOCAL timezone = 'Asia/Shanghai';

-- retention equals its definition written with bool_or
SELECT results_eq(
  $$SELECT uid, portrait.retention(ts < '2024-01-15', ts >= '2024-02-01' AND ts < '2024-03-01', name = 'pay')
      FROM behaviour_events GROUP BY uid ORDER BY uid$$,
  $$SELECT uid, ARRAY[bool_or(ts < '2024-01-15')::int,
                      (bool_or(ts < '2024-01-15') AND bool_or(ts >= '2024-02-01' AND ts < '2024-03-01'))::int,
                      (bool_or(ts < '2024-01-15') AND bool_or(name = 'pay'))::int]
      FROM behaviour_events GROUP BY uid ORDER BY uid$$,
  'retention flags match their bool_or definition');

-- the cohort matrix equals the hand-written self-join, for weeks and months
SELECT results_eq(
  $$SELECT cohort, period_offset, cohort_users, active_users FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'week', 6)
     WHERE active_users > 0$$,
  $$WITH act AS (SELECT DISTINCT uid, date_trunc('week', ts) AS p FROM behaviour_events),
         first AS (SELECT uid, min(p) AS c FROM act GROUP BY uid),
         sizes AS (SELECT c, count(*) AS n FROM first GROUP BY c)
    SELECT f.c, ((extract(epoch FROM a.p - f.c) / 604800)::numeric(10, 0))::int AS k, s.n, count(*)
      FROM act a JOIN first f USING (uid) JOIN sizes s ON s.c = f.c
     WHERE a.p < f.c + interval '7 weeks'
     GROUP BY f.c, k, s.n ORDER BY 1, 2$$,
  'weekly cohort matrix matches hand-written SQL');
SELECT results_eq(
  $$SELECT cohort, period_offset, cohort_users, active_users FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'month', 2)
     WHERE active_users > 0$$,
  $$WITH act AS (SELECT DISTINCT uid, date_trunc('month', ts) AS p FROM behaviour_events),
         first AS (SELECT uid, min(p) AS c FROM act GROUP BY uid),
         sizes AS (SELECT c, count(*) AS n FROM first GROUP BY c)
    SELECT f.c, ((extract(year FROM a.p) - extract(year FROM f.c)) * 12 + extract(month FROM a.p) - extract(month FROM f.c))::int AS k,
           s.n, count(*)
      FROM act a JOIN first f USING (uid) JOIN sizes s ON s.c = f.c
     GROUP BY f.c, k, s.n ORDER BY 1, 2$$,
  'monthly cohort matrix matches hand-written SQL');
SELECT is((SELECT count(*) FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'day', 10)),
          (SELECT count(DISTINCT date_trunc('day', m)) * 11 FROM (SELECT min(ts) AS m FROM behaviour_events GROUP BY uid) t),
          'one row per cohort and offset 0..periods');

-- periods follow the session time zone through DST changes (half-hour DST
-- in Lord Howe), as date_trunc does
SET LOCAL timezone = 'Australia/Lord_Howe';
SELECT is_empty($$
  SELECT g, p FROM (
    SELECT g, p, ts, portrait.cohort_activity(ts, p, 0) AS a
      FROM (SELECT g, timestamptz '2023-01-01' + (hashint4(g) & 2147483647) % (730 * 86400) * interval '1 second' AS ts
              FROM generate_series(1, 5000) g) s,
           unnest(ARRAY['day', 'week', 'month', 'quarter', 'year']) p
     GROUP BY 1, 2, 3) t
   WHERE (a).cohort <> date_trunc(p, ts)$$,
  'cohort periods equal date_trunc in a zone with half-hour DST');
SET LOCAL timezone = 'Asia/Shanghai';

-- session_id equals the lag()-based hand-written form
SELECT results_eq(
  $$SELECT uid, ts, portrait.session_id(ts, '6 hours') OVER (PARTITION BY uid ORDER BY ts)
      FROM behaviour_events ORDER BY uid, ts, 3$$,
  $$SELECT uid, ts, sum(CASE WHEN prev IS NULL OR ts - prev > interval '6 hours' THEN 1 ELSE 0 END)
                      OVER (PARTITION BY uid ORDER BY ts ROWS UNBOUNDED PRECEDING)
      FROM (SELECT uid, ts, lag(ts) OVER (PARTITION BY uid ORDER BY ts) AS prev FROM behaviour_events) t
     ORDER BY uid, ts, 3$$,
  'session_id matches the lag() form');

-- errors
SELECT throws_ok($$SELECT portrait.retention(VARIADIC array_fill(true, ARRAY[33]))$$, '54000', NULL,
                 'more than 32 retention conditions are refused');
SELECT throws_ok($$SELECT portrait.retention(VARIADIC c) FROM (VALUES ('{t}'::bool[]), ('{t,f}')) v(c)$$, '22023', NULL,
                 'retention condition count changing within a group is refused');
SELECT throws_ok($$SELECT portrait.cohort_activity(now(), 'fortnight', 3)$$, '22023',
                 'unknown cohort period "fortnight"', 'unknown period is refused');
SELECT throws_ok($$SELECT portrait.cohort_activity('infinity', 'day', 3)$$, '22008', NULL,
                 'infinite cohort timestamp is refused');
SELECT throws_ok($$SELECT * FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts; DROP TABLE x', 'day', 3)$$,
                 '42703', NULL, 'cohort_matrix quotes identifiers');
SELECT throws_ok($$SELECT portrait.session_id(ts, NULL) OVER (ORDER BY ts) FROM behaviour_events$$, '22004', NULL,
                 'NULL session gap is refused');
SELECT throws_ok($$SELECT portrait.session_id(ts, '-1 second') OVER (ORDER BY ts) FROM behaviour_events$$, '22023', NULL,
                 'negative session gap is refused');

-- parallel plans
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT uid % 10, portrait.cohort_activity(ts, 'week', 8), portrait.retention(name = 'view', name = 'pay') FROM behaviour_events GROUP BY 1$$),
               'Partial (Hash|Group)?Aggregate', 'cohort_activity and retention run as partial aggregates');
CREATE TEMP TABLE par AS
SELECT uid % 10 AS g, portrait.cohort_activity(ts, 'week', 8) AS a, portrait.retention(name = 'view', name = 'pay') AS r
  FROM behaviour_events GROUP BY 1;
CALL test_helpers.force_serial();
SELECT results_eq(
  $$SELECT g, a::text, r FROM par ORDER BY g$$,
  $$SELECT uid % 10, portrait.cohort_activity(ts, 'week', 8)::text, portrait.retention(name = 'view', name = 'pay')
      FROM behaviour_events GROUP BY 1 ORDER BY 1$$,
  'parallel and serial cohort_activity and retention agree');
SELECT is('week;4;1;0,4'::portrait.cohort_state::text, 'week;4;1;0,4', 'cohort_state text round trip');

-- integer customers take the one-aggregate path (cohort_users); any other
-- key type groups by customer (cohort_activity): both give the same matrix
CREATE TEMP VIEW behaviour_events_text AS SELECT uid::text AS uid, ts FROM behaviour_events;
SELECT results_eq(
  $$SELECT * FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'week', 8)$$,
  $$SELECT * FROM portrait.cohort_matrix('behaviour_events_text', 'uid', 'ts', 'week', 8)$$,
  'integer and text customer keys give the same weekly matrix');
SELECT results_eq(
  $$SELECT * FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'day', 40)$$,
  $$SELECT * FROM portrait.cohort_matrix('behaviour_events_text', 'uid', 'ts', 'day', 40)$$,
  'integer and text customer keys give the same daily matrix (bitmaps over two words)');
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.cohort_users(uid, ts, 'day', 40) FROM behaviour_events$$),
               'Partial Aggregate', 'cohort_users runs as a partial aggregate');
CREATE TEMP TABLE par_users AS
SELECT portrait.cohort_users(uid, ts, 'day', 40)::text AS u FROM behaviour_events;
CALL test_helpers.force_serial();
SELECT is((SELECT u FROM par_users),
          (SELECT portrait.cohort_users(uid, ts, 'day', 40)::text FROM (SELECT * FROM behaviour_events ORDER BY ts DESC) e),
          'parallel and serial cohort_users agree, whatever the row order');
SELECT is('week;3;1:1251:0,1,3;7:1247:0'::portrait.cohort_users::text, 'week;3;1:1251:0,1,3;7:1247:0',
          'cohort_users text round trip');
SELECT throws_ok($$SELECT 'week;3;1:1251:1,3'::portrait.cohort_users$$, '22P02', NULL,
                 'cohort_users text input needs offset 0 of every customer');
-- periods after the data's end are not observed: NULL, not 0
SELECT is((SELECT count(*)::int FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'week', 8) m
            WHERE m.cohort + m.period_offset * interval '7 days' > (SELECT date_trunc('week', max(ts)) FROM behaviour_events)
              AND (m.active_users IS NOT NULL OR m.share IS NOT NULL)), 0,
          'cohort_matrix: cells after the last event''s week are NULL');
SELECT is((SELECT count(*)::int FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'week', 8) m
            WHERE m.cohort + m.period_offset * interval '7 days' <= (SELECT date_trunc('week', max(ts)) FROM behaviour_events)
              AND m.active_users IS NULL), 0,
          'cohort_matrix: every observed cell has a count');
SELECT throws_ok($$SELECT * FROM portrait.cohort_matrix('behaviour_events', 'uid', 'no_such', 'week', 8)$$, '42703',
                 'column "no_such" of cohort_matrix does not exist in public.behaviour_events', 'cohort_matrix: unknown column, by name');
SELECT throws_ok($$SELECT * FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'fortnight', 8)$$, '22023',
                 'unknown cohort period "fortnight"', 'cohort_matrix: unknown period');
SELECT throws_ok($$SELECT * FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'week', NULL)$$, '22004',
                 'cohort_matrix arguments must not be NULL', 'cohort_matrix: NULL periods');
-- explicit time zones: the session's periods without depending on the session
CREATE TEMP TABLE tz_matrix AS SELECT * FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'day', 5);
CREATE TEMP TABLE tz_activity AS SELECT uid, portrait.cohort_activity(ts, 'week', 4) AS a FROM behaviour_events GROUP BY uid;
SET LOCAL timezone = 'UTC';
SELECT set_eq($$SELECT * FROM tz_matrix$$, $$SELECT * FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'day', 5, 'Asia/Shanghai')$$,
              'cohort_matrix(..., zone) in a UTC session equals the Asia/Shanghai session''s');
SELECT set_eq($$SELECT cohort, period_offset, cohort_users, coalesce(active_users, 0) FROM tz_matrix$$,
              $$SELECT * FROM portrait.cohort_table((SELECT portrait.cohort_users(uid, ts, 'day', 5, 'Asia/Shanghai') FROM behaviour_events))$$,
              'cohort_users(..., zone) likewise');
SELECT set_eq($$SELECT uid, a::text FROM tz_activity$$,
              $$SELECT uid, portrait.cohort_activity(ts, 'week', 4, 'Asia/Shanghai')::text FROM behaviour_events GROUP BY uid$$,
              'cohort_activity(..., zone) likewise');
SELECT ok(EXISTS (SELECT * FROM tz_matrix EXCEPT SELECT * FROM portrait.cohort_matrix('behaviour_events', 'uid', 'ts', 'day', 5)),
          'the session form in UTC gives other day cohorts (the zone matters for this data)');
SET LOCAL timezone = 'Asia/Shanghai';
SELECT is('week@Asia/Shanghai;4;1;0,4'::portrait.cohort_state::text, 'week@Asia/Shanghai;4;1;0,4', 'cohort_state text round trip with a zone');
SELECT throws_ok($$SELECT 'week@Nowhere/Else;4;1;0,4'::portrait.cohort_state$$, '22P02', NULL, 'cohort_state text input: unknown zone');
SELECT throws_ok($$SELECT portrait.cohort_activity(t, 'day', 3, z) FROM (VALUES (now(), 'UTC'), (now(), 'Asia/Shanghai')) v(t, z)$$,
                 '22023', 'cohort time zone must be the same for all rows of a group', 'rows of a group naming other zones: 22023');
SELECT throws_ok($$SELECT portrait.cohort_users(1, now(), 'day', 3, NULL)$$, '22004', 'time zone must not be NULL', 'NULL zone: 22004');
SELECT throws_ok($$SELECT portrait.cohort_activity(now(), 'day', 3, 'Mars/Olympus')$$, '22023', NULL, 'unknown zone: 22023');

SELECT * FROM finish();
ROLLBACK;
