-- window_funnel: the highest step of view -> cart -> checkout -> pay a
-- customer reached, each chain measured from its first event (ClickHouse's
-- windowFunnel).  Events are taken in (time, step) order, so the answer
-- never depends on row order.
SET timezone = 'UTC';
CREATE TEMP TABLE ev (uid int, ts timestamptz, name text);
INSERT INTO ev VALUES
  -- 1: the whole path inside 1 hour
  (1, '2024-01-01 10:00', 'view'), (1, '2024-01-01 10:05', 'cart'),
  (1, '2024-01-01 10:20', 'checkout'), (1, '2024-01-01 10:30', 'pay'),
  -- 2: pays too late: the window counts from the chain's first event
  (2, '2024-01-01 10:00', 'view'), (2, '2024-01-01 10:30', 'cart'),
  (2, '2024-01-01 10:50', 'checkout'), (2, '2024-01-01 11:30', 'pay'),
  -- 3: a later view starts a new chain that fits the window
  (3, '2024-01-01 08:00', 'view'), (3, '2024-01-01 10:00', 'view'),
  (3, '2024-01-01 10:10', 'cart'),
  -- 4: out of order: cart before any view does not count
  (4, '2024-01-01 09:00', 'cart'), (4, '2024-01-01 09:10', 'view'),
  -- 5: no step at all
  (5, '2024-01-01 09:00', 'search');

SELECT uid, portrait.window_funnel('1 hour', ts, name = 'view', name = 'cart',
                                   name = 'checkout', name = 'pay') AS level
  FROM ev GROUP BY uid ORDER BY uid;

-- The window is inclusive: an event exactly one window after the first counts.
SELECT portrait.window_funnel('10 minutes', ts, name = 'view', name = 'cart')
  FROM (VALUES ('2024-01-01 10:00'::timestamptz, 'view'), ('2024-01-01 10:10', 'cart')) v(ts, name);

-- A row meeting several conditions is one event per condition at the same
-- time, so it fills consecutive steps (strict_once below changes that).
SELECT portrait.window_funnel('1 hour', ts, name LIKE 'c%', name = 'checkout')
  FROM (VALUES ('2024-01-01 10:00'::timestamptz, 'checkout')) v(ts, name);

-- Modes (second argument, comma-separated).
-- strict_deduplication: a step that repeats before the chain goes on stops
-- the search.  A-B-C-B-D with steps A,B,C,D: default 4, dedup 3.
CREATE TEMP TABLE abc (ts timestamptz, e text);
INSERT INTO abc VALUES ('2024-01-01 10:00', 'A'), ('2024-01-01 10:01', 'B'),
  ('2024-01-01 10:02', 'C'), ('2024-01-01 10:03', 'B'), ('2024-01-01 10:04', 'D');
SELECT portrait.window_funnel('1 hour', ts, e = 'A', e = 'B', e = 'C', e = 'D') AS "default",
       portrait.window_funnel('1 hour', 'strict_deduplication', ts, e = 'A', e = 'B', e = 'C', e = 'D') AS dedup
  FROM abc;
-- A-B-B-C: the repeated B stops at 2.
SELECT portrait.window_funnel('1 hour', 'strict_deduplication', ts, e = 'A', e = 'B', e = 'C')
  FROM (VALUES ('2024-01-01 10:00'::timestamptz, 'A'), ('2024-01-01 10:01', 'B'),
               ('2024-01-01 10:02', 'B'), ('2024-01-01 10:03', 'C')) v(ts, e);

-- strict_order: no other event may come between the steps.  A-B-X-C: default
-- 3, strict_order 2 (X, which meets no step, interrupts); A-B-D-C: 2 (D is a
-- step out of turn).
SELECT portrait.window_funnel('1 hour', ts, e = 'A', e = 'B', e = 'C') AS "default",
       portrait.window_funnel('1 hour', 'strict_order', ts, e = 'A', e = 'B', e = 'C') AS strict_order
  FROM (VALUES ('2024-01-01 10:00'::timestamptz, 'A'), ('2024-01-01 10:01', 'B'),
               ('2024-01-01 10:02', 'X'), ('2024-01-01 10:03', 'C')) v(ts, e);
SELECT portrait.window_funnel('1 hour', 'strict_order', ts, e = 'A', e = 'B', e = 'C', e = 'D')
  FROM (VALUES ('2024-01-01 10:00'::timestamptz, 'A'), ('2024-01-01 10:01', 'B'),
               ('2024-01-01 10:02', 'D'), ('2024-01-01 10:03', 'C')) v(ts, e);

-- strict_increase: consecutive steps need strictly increasing times.  A and
-- B at the same second: default 2, strict_increase 1.
SELECT portrait.window_funnel('1 hour', ts, e = 'A', e = 'B') AS "default",
       portrait.window_funnel('1 hour', 'strict_increase', ts, e = 'A', e = 'B') AS strict_increase
  FROM (VALUES ('2024-01-01 10:00'::timestamptz, 'A'), ('2024-01-01 10:00', 'B')) v(ts, e);

-- strict_once: a row fills at most one step of a chain.  One row meeting
-- both steps: default 2, strict_once 1; two such rows: 2.
SELECT portrait.window_funnel('1 hour', ts, true, true) AS "default",
       portrait.window_funnel('1 hour', 'strict_once', ts, true, true) AS strict_once
  FROM (VALUES ('2024-01-01 10:00'::timestamptz)) v(ts);
SELECT portrait.window_funnel('1 hour', 'strict_once', ts, true, true)
  FROM (VALUES ('2024-01-01 10:00'::timestamptz), ('2024-01-01 10:00')) v(ts);

-- strict_order and allow_reentry as in current ClickHouse: once the chain is
-- past the first step, the first step occurring again breaks the chain
-- (A-B-A-C: 2); allow_reentry passes over it (3) and needs strict_order.
-- The cases below are ClickHouse's own (00632_aggregation_window_funnel),
-- with seconds since midnight as times.  One answer differs from the
-- reference file of the change that added allow_reentry: uid 2 with
-- allow_reentry and strict_deduplication gives 2 (the level reached when B
-- repeats), as ClickHouse gives since its fix of strict_deduplication's
-- answer (issue 37177); that file predates the fix and says 1.
CREATE TEMP TABLE ch_reentry (uid int, s int, e text);
INSERT INTO ch_reentry VALUES
  (1, 1, 'a'), (1, 2, 'b'), (1, 3, 'a'), (1, 4, 'c'),
  (2, 1, 'a'), (2, 2, 'b'), (2, 3, 'a'), (2, 4, 'b'), (2, 5, 'c'),
  (3, 1, 'a'), (3, 2, 'b'), (3, 3, 'c'), (3, 4, 'b'), (3, 5, 'd'),
  (4, 1, 'a'), (4, 2, 'c'), (4, 3, 'b'),
  (5, 1, 'a'), (5, 2, 'b'), (5, 3, 'c'), (5, 4, 'a'), (5, 5, 'b'), (5, 6, 'c'), (5, 7, 'd');
SELECT uid,
       portrait.window_funnel('1 day', 'strict_order', ts, e = 'a', e = 'b', e = 'c') AS strict_order,
       portrait.window_funnel('1 day', 'strict_order, allow_reentry', ts, e = 'a', e = 'b', e = 'c') AS reentry,
       portrait.window_funnel('1 day', 'strict_order', ts, e = 'a', e = 'b', e = 'c', e = 'd') AS strict_order_4,
       portrait.window_funnel('1 day', 'strict_order, allow_reentry', ts, e = 'a', e = 'b', e = 'c', e = 'd') AS reentry_4,
       portrait.window_funnel('1 day', 'strict_order, allow_reentry, strict_deduplication', ts, e = 'a', e = 'b', e = 'c') AS combined
  FROM (SELECT uid, timestamptz '2024-01-01' + s * interval '1 second' AS ts, e FROM ch_reentry) x
 GROUP BY uid ORDER BY uid;
-- ClickHouse's e-commerce cases: a checkout begun again after viewing the
-- product.  With begin_checkout as steps 1 and 3, the first row meets both
-- steps and step 3 comes out of turn: 1 in every mode.
CREATE TEMP TABLE ch_shop (uid int, s int, action text);
INSERT INTO ch_shop VALUES
  (1, 100, 'begin_checkout'), (1, 200, 'view_product_detail'), (1, 300, 'begin_checkout'), (1, 400, 'complete_payment'),
  (2, 100, 'begin_checkout'), (2, 200, 'view_product_detail'), (2, 250, 'view_product_detail'),
  (2, 300, 'begin_checkout'), (2, 400, 'complete_payment'),
  (3, 100, 'begin_checkout'), (3, 200, 'view_product_detail'), (3, 300, 'complete_payment');
SELECT uid,
       portrait.window_funnel('600 seconds', 'strict_order', ts, action = 'begin_checkout',
                              action = 'view_product_detail', action = 'complete_payment') AS strict_order,
       portrait.window_funnel('600 seconds', 'strict_order, allow_reentry', ts, action = 'begin_checkout',
                              action = 'view_product_detail', action = 'complete_payment') AS reentry,
       portrait.window_funnel('600 seconds', 'strict_order', ts, action = 'begin_checkout', action = 'view_product_detail',
                              action = 'begin_checkout', action = 'complete_payment') AS strict_order_4,
       portrait.window_funnel('600 seconds', 'strict_order, allow_reentry', ts, action = 'begin_checkout',
                              action = 'view_product_detail', action = 'begin_checkout', action = 'complete_payment') AS reentry_4
  FROM (SELECT uid, timestamptz '2024-01-01' + s * interval '1 second' AS ts, action FROM ch_shop) x
 GROUP BY uid ORDER BY uid;
-- ClickHouse's strict_order table: a-b-c, a-d-b-c, a-a-b-b-c-c,
-- a-a-a-a-b-b-c-c, a-a-b-b-d-c-c, c-c-b-b-a-a; the first step repeating
-- before the chain goes on (a-a-...) does not break it.
CREATE TEMP TABLE ch_order (uid int, s int, e text);
INSERT INTO ch_order VALUES
  (1, 1, 'a'), (1, 2, 'b'), (1, 3, 'c'),
  (2, 1, 'a'), (2, 2, 'd'), (2, 3, 'b'), (2, 4, 'c'),
  (3, 1, 'a'), (3, 2, 'a'), (3, 3, 'b'), (3, 4, 'b'), (3, 5, 'c'), (3, 6, 'c'),
  (4, 1, 'a'), (4, 2, 'a'), (4, 3, 'a'), (4, 4, 'a'), (4, 5, 'b'), (4, 6, 'b'), (4, 7, 'c'), (4, 8, 'c'),
  (5, 1, 'a'), (5, 2, 'a'), (5, 3, 'b'), (5, 4, 'b'), (5, 5, 'd'), (5, 6, 'c'), (5, 7, 'c'),
  (6, 1, 'c'), (6, 2, 'c'), (6, 3, 'b'), (6, 4, 'b'), (6, 5, 'a'), (6, 6, 'a');
SELECT uid,
       portrait.window_funnel('1 day', ts, e = 'a', e = 'b', e = 'c') AS "default",
       portrait.window_funnel('1 day', 'strict_order', ts, e = 'a', e = 'b', e = 'c') AS strict_order,
       portrait.window_funnel('1 day', 'strict_deduplication, strict_order', ts, e = 'a', e = 'b', e = 'c') AS dedup_order
  FROM (SELECT uid, timestamptz '2024-01-01' + s * interval '1 second' AS ts, e FROM ch_order) x
 GROUP BY uid ORDER BY uid;
SELECT portrait.window_funnel('1 hour', 'allow_reentry', timestamptz '2024-01-01 10:00', true);

-- The mode form resolves by the type of the timestamp argument: with a
-- timestamptz column (or a typed literal) it is unambiguous.  Only when every
-- argument is an untyped literal can PostgreSQL not choose.
SELECT portrait.window_funnel('1 hour', 'strict_order', timestamptz '2024-01-01 10:00', true);
SELECT portrait.window_funnel('1 hour', timestamptz '2024-01-01 10:00', true);

-- Modes combine.
SELECT portrait.window_funnel('1 hour', 'strict_order, strict_increase', ts, e = 'A', e = 'B')
  FROM (VALUES ('2024-01-01 10:00'::timestamptz, 'A'), ('2024-01-01 10:00', 'B')) v(ts, e);

-- NULLs: rows with a NULL timestamp are skipped; a NULL condition is false;
-- a group without rows gives NULL, a group without matching rows 0.
SELECT portrait.window_funnel('1 hour', ts, e = 'A', e = 'B')
  FROM (VALUES ('2024-01-01 10:00'::timestamptz, 'A'), (NULL, 'B'), ('2024-01-01 10:01', NULL)) v(ts, e);
SELECT portrait.window_funnel('1 hour', ts, true) FROM ev WHERE false;
SELECT portrait.window_funnel('1 hour', ts, false) FROM ev;

-- The funnel table: funnel_counts sums per-customer levels, funnel_table
-- turns them into step / customers / conversion rows.
SELECT f.* FROM (
  SELECT portrait.funnel_counts(level, 4) AS users
    FROM (SELECT uid, portrait.window_funnel('1 hour', ts, name = 'view', name = 'cart',
                                             name = 'checkout', name = 'pay') AS level
            FROM ev GROUP BY uid) per_user) c,
  portrait.funnel_table(c.users) f;

-- Errors.
\set VERBOSITY sqlstate
SELECT portrait.window_funnel('-1 hour', ts, true) FROM ev;
SELECT portrait.window_funnel(NULL, ts, true) FROM ev;
SELECT portrait.window_funnel('1 hour', 'strict', ts, true) FROM ev;
SELECT portrait.window_funnel('1 hour', ts, VARIADIC array_fill(true, ARRAY[33])) FROM ev;
SELECT portrait.window_funnel('1 hour', ts, VARIADIC '{}'::bool[]) FROM ev;
SELECT portrait.window_funnel('1 hour', 'infinity', true);
SELECT portrait.funnel_counts(5, 4);
SELECT * FROM portrait.funnel_table('{3,5}');
\set VERBOSITY default
