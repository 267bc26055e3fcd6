-- sequence_match / sequence_count: ClickHouse's pattern language over a
-- customer's events (rows meeting at least one condition, in time order).
SET timezone = 'UTC';
CREATE TEMP TABLE ev (uid int, ts timestamptz, e text);
INSERT INTO ev VALUES
  (1, '2024-01-01 10:00:00', 'view'), (1, '2024-01-01 10:00:10', 'cart'),
  (1, '2024-01-01 10:30:00', 'pay'),
  (2, '2024-01-01 10:00:00', 'view'), (2, '2024-01-01 10:01:00', 'search'),
  (2, '2024-01-01 10:02:00', 'cart'), (2, '2024-01-01 12:00:00', 'pay'),
  (3, '2024-01-01 10:00:00', 'cart'), (3, '2024-01-01 10:05:00', 'view');

-- (?1)(?2): a view immediately followed by a cart (among the rows meeting a
-- condition: 'search' meets none of these, so it is not an event).
SELECT uid, portrait.sequence_match('(?1)(?2)', ts, e = 'view', e = 'cart') AS adjacent,
            portrait.sequence_match('(?1)(?2)', ts, e = 'view', e = 'cart', e = 'search') AS with_search
  FROM ev GROUP BY uid ORDER BY uid;

-- .* allows any events between; . is exactly one event.
SELECT uid, portrait.sequence_match('(?1).*(?3)', ts, e = 'view', e = 'cart', e = 'pay') AS view_then_pay,
            portrait.sequence_match('(?1).(?3)', ts, e = 'view', e = 'cart', e = 'pay') AS one_between
  FROM ev GROUP BY uid ORDER BY uid;

-- Time conditions in seconds between the events around them; other events
-- may lie between the two (here: the search of customer 2 when it is an event).
SELECT uid, portrait.sequence_match('(?1)(?t<=60)(?2)', ts, e = 'view', e = 'cart') AS cart_within_minute,
            portrait.sequence_match('(?1)(?t>3600)(?2)', ts, e = 'view', e = 'pay') AS pay_after_hour,
            portrait.sequence_match('(?1)(?t==10)(?2)', ts, e = 'view', e = 'cart') AS exactly_10s,
            portrait.sequence_match('(?1)(?t<=180)(?2)', ts, e = 'view', e = 'cart', e = 'search') AS over_search
  FROM ev GROUP BY uid ORDER BY uid;

-- sequence_count: non-overlapping occurrences, each after the previous ends.
SELECT portrait.sequence_count('(?1)(?2)', ts, e = 'a', e = 'b') AS ab,
       portrait.sequence_count('(?1).*(?2)', ts, e = 'a', e = 'b') AS a_then_b,
       portrait.sequence_count('.', ts, e = 'a', e = 'b') AS events
  FROM (VALUES (1, 'a'), (2, 'b'), (3, 'a'), (4, 'a'), (5, 'b'), (6, 'x'), (7, 'b')) v(s, e),
       LATERAL (SELECT timestamptz '2024-01-01' + s * interval '1 minute' AS ts) t;

-- NULLs: a NULL timestamp or a row meeting no condition is not an event; a
-- NULL condition is false; no rows gives NULL.
SELECT portrait.sequence_match('(?1)(?2)', ts, e = 'a', e = 'b')
  FROM (VALUES ('2024-01-01 10:00'::timestamptz, 'a'), (NULL, 'x'), ('2024-01-01 10:01', NULL),
               ('2024-01-01 10:02', 'b')) v(ts, e);
SELECT portrait.sequence_count('(?1)', ts, true) FROM ev WHERE false;

-- A long history with a pattern that would make a backtracking matcher
-- explode stays linear: 20000 events, (?1).*(?1).*...(?2) with 30 items.
SELECT portrait.sequence_match(repeat('(?1).*', 30) || '(?2)', ts, true, false)
  FROM generate_series(1, 20000) g, LATERAL (SELECT timestamptz '2024-01-01' + g * interval '1 second' AS ts) t;

-- Malformed patterns: SQLSTATE 22P02 with the position.
SELECT portrait.sequence_match('(?1)(?2', now(), true, true);
SELECT portrait.sequence_match('(?1)x(?2)', now(), true, true);
SELECT portrait.sequence_match('(?t<5)(?1)', now(), true);
SELECT portrait.sequence_match('(?1)(?t~5)(?2)', now(), true, true);
SELECT portrait.sequence_match('(?1)(?t<5).*(?2)', now(), true, true);
SELECT portrait.sequence_match('.*', now(), true);
\set VERBOSITY sqlstate
SELECT portrait.sequence_match('(?3)', now(), true, true);
SELECT portrait.sequence_match(repeat('.', 65), now(), true);
SELECT portrait.sequence_match(NULL, now(), true);
\set VERBOSITY default
