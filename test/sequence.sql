-- sequence_match / sequence_count: reference answers, errors, scale,
-- parallel plans.
BEGIN;
SELECT plan(16);

-- ClickHouse's backtracking matcher restated in
-- test/data/behaviour/make_reference.py: 400 random histories x 4 patterns
SELECT is_empty($$
  WITH got AS (
    SELECT p.case_id, p.pattern,
           portrait.sequence_match(p.pattern, timestamptz '2024-01-01' + e.ts * interval '1 second',
                                   e.mask & 1 > 0, e.mask & 2 > 0, e.mask & 4 > 0) AS m,
           portrait.sequence_count(p.pattern, timestamptz '2024-01-01' + e.ts * interval '1 second',
                                   e.mask & 1 > 0, e.mask & 2 > 0, e.mask & 4 > 0) AS c
      FROM behaviour_sequence_expected p JOIN behaviour_sequence_events e USING (case_id)
     GROUP BY 1, 2)
  SELECT x.* FROM behaviour_sequence_expected x LEFT JOIN got USING (case_id, pattern)
   WHERE coalesce(got.m, false) <> x.matched OR coalesce(got.c, 0) <> x.count$$,
  'sequence_match and sequence_count equal the reference on 1600 cases');

-- malformed patterns: 22P02 with the position
SELECT throws_ok($$SELECT portrait.sequence_match('(?1)(?2', now(), true, true)$$, '22P02',
                 'malformed sequence pattern at position 8: expected )', 'unclosed item');
SELECT throws_ok($$SELECT portrait.sequence_match('(?1)?(?2)', now(), true, true)$$, '22P02',
                 'malformed sequence pattern at position 5: unexpected character', 'stray character');
SELECT throws_ok($$SELECT portrait.sequence_match('(?1)(?t!=3)(?2)', now(), true, true)$$, '22P02',
                 'malformed sequence pattern at position 8: unknown time condition', 'unknown time operator');
SELECT throws_ok($$SELECT portrait.sequence_match('(?1)(?t>99999999999999)(?2)', now(), true, true)$$, '22P02',
                 'malformed sequence pattern at position 9: number too large', 'time out of range');
SELECT throws_ok($$SELECT portrait.sequence_match('(?1)(?t>3)', now(), true, true)$$, '22P02',
                 'malformed sequence pattern at position 11: a time condition must be followed by an event',
                 'trailing time condition');
SELECT throws_ok($$SELECT portrait.sequence_count('', now(), true)$$, '22P02',
                 'malformed sequence pattern at position 1: a pattern needs at least one event', 'empty pattern');
SELECT throws_ok($$SELECT portrait.sequence_match('(?4)', now(), true, true)$$, '22023', NULL,
                 'condition number past the conditions given');
SELECT throws_ok($$SELECT portrait.sequence_match(repeat('(?1)', 65), now(), true)$$, '54000',
                 'sequence pattern has more than 64 events', 'pattern length limit');
SELECT throws_ok($$SELECT portrait.sequence_match('(?1)', now(), VARIADIC array_fill(true, ARRAY[33]))$$, '54000', NULL,
                 'more than 32 conditions');

-- a state moved as text (as Citus moves partial states) keeps its pattern
SELECT is(portrait.sequence_count_final(
            'sequence;2;0;0;10:(?1).*(?2);3;1000000:1,2000000:3,3000000:2'::portrait.event_list::text::portrait.event_list),
          1::bigint, 'sequence state survives a text round trip');
SELECT is(portrait.window_funnel_final('funnel;3;4;60000000;0:;3;0:1,0:2,61000000:4'::portrait.event_list::text::portrait.event_list),
          1, 'funnel state with its window and mode survives a text round trip');

-- bounded engine: 200000 events, a pattern with 64 items and == conditions
SELECT is(portrait.sequence_count(repeat('(?1)(?t==1)', 63) || '(?1)', ts, true),
          3125::bigint, 'long pattern over 200000 events counts in linear time')
  FROM generate_series(1, 200000) g, LATERAL (SELECT timestamptz '2024-01-01' + g * interval '1 second' AS ts) t;

-- parallel plans
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT uid % 7, portrait.sequence_count('(?1).*(?2)(?t<=3600)(?3)', ts, name = 'view', name = 'cart', name = 'pay') FROM behaviour_events GROUP BY 1$$),
               'Partial (Hash|Group)?Aggregate', 'sequence_count runs as a partial aggregate');
CREATE TEMP TABLE par AS
SELECT uid % 7 AS g,
       portrait.sequence_count('(?1).*(?2)(?t<=3600)(?3)', ts, name = 'view', name = 'cart', name = 'pay') AS c,
       portrait.sequence_match('(?1)(?t>=86400)(?1)', ts, name = 'pay') AS m
  FROM behaviour_events GROUP BY 1;
CALL test_helpers.force_serial();
SELECT results_eq(
  $$SELECT g, c, m FROM par ORDER BY g$$,
  $$SELECT uid % 7, portrait.sequence_count('(?1).*(?2)(?t<=3600)(?3)', ts, name = 'view', name = 'cart', name = 'pay'),
           portrait.sequence_match('(?1)(?t>=86400)(?1)', ts, name = 'pay')
      FROM behaviour_events GROUP BY 1 ORDER BY 1$$,
  'parallel and serial sequence aggregates agree');
SELECT is((SELECT sum(c) FROM par) > 0, true, 'the fixture has matches');
SELECT * FROM finish();
ROLLBACK;
