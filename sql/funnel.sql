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
