-- retention: ClickHouse's retention flags.  [1] is 1 when some row meets
-- condition 1; [k] is 1 when some row meets condition 1 and some row meets
-- condition k.  Typically condition 1 is "active on day 0" and k "active on
-- day k".
SET timezone = 'UTC';
CREATE TEMP TABLE visits (uid int, day date);
INSERT INTO visits VALUES (1, '2024-01-01'), (1, '2024-01-02'), (1, '2024-01-04'),
  (2, '2024-01-01'), (2, '2024-01-03'),
  (3, '2024-01-02'), (3, '2024-01-03');
SELECT uid, portrait.retention(day = '2024-01-01', day = '2024-01-02', day = '2024-01-03') AS r
  FROM visits GROUP BY uid ORDER BY uid;

-- Summed over customers: day-0 customers and how many came back on day 1, 2.
SELECT sum(r[1]) AS day0, sum(r[2]) AS day1, sum(r[3]) AS day2
  FROM (SELECT portrait.retention(day = '2024-01-01', day = '2024-01-02', day = '2024-01-03') AS r
          FROM visits GROUP BY uid) t;

-- NULL conditions are false; a NULL array skips the row.
SELECT portrait.retention(VARIADIC ARRAY[true, NULL, true]);
SELECT portrait.retention(VARIADIC NULL::bool[]);

-- cohort_activity: one customer's cohort (start of the first active
-- period, session time zone) and the period offsets with activity.
SELECT uid, (a).cohort, (a).offsets
  FROM (SELECT uid, portrait.cohort_activity(day::timestamptz, 'day', 7) AS a
          FROM visits GROUP BY uid) t ORDER BY uid;

-- cohort_matrix: the whole matrix from an events table in one call.
CREATE TEMP TABLE orders (customer text, "ordered at" timestamptz);
INSERT INTO orders VALUES
  ('a', '2024-01-05'), ('a', '2024-02-10'), ('a', '2024-04-01'),
  ('b', '2024-01-20'), ('b', '2024-03-03'),
  ('c', '2024-02-02'), ('c', '2024-03-15'), ('c', '2024-03-20'),
  ('d', '2024-02-28'),
  ('e', NULL);
SELECT * FROM portrait.cohort_matrix('orders', 'customer', 'ordered at', 'month', 3);

-- Weeks are ISO weeks (from Monday); periods follow the session time zone.
SELECT (portrait.cohort_activity(ts, 'week', 2)).*
  FROM (VALUES ('2024-01-07 23:00+00'::timestamptz), ('2024-01-08 01:00+00')) v(ts);
SET timezone = 'Asia/Shanghai';
SELECT (portrait.cohort_activity(ts, 'week', 2)).*
  FROM (VALUES ('2024-01-07 23:00+00'::timestamptz), ('2024-01-08 01:00+00')) v(ts);
SET timezone = 'UTC';

-- session_id: sessions split by more than 30 minutes of inactivity.
CREATE TEMP TABLE clicks (uid int, ts timestamptz);
INSERT INTO clicks VALUES (1, '2024-01-01 10:00'), (1, '2024-01-01 10:20'),
  (1, '2024-01-01 10:50'), (1, '2024-01-01 11:21'), (1, NULL),
  (2, '2024-01-01 09:00'), (2, '2024-01-02 09:00');
SELECT uid, ts, portrait.session_id(ts, '30 minutes') OVER (PARTITION BY uid ORDER BY ts) AS session
  FROM clicks ORDER BY uid, ts;

-- Periods in a named time zone: the cohort of an event at 07:30 on 1 January
-- in Shanghai is 1 January there, 31 December in New York.
SELECT z, portrait.cohort_activity(t, 'day', 2, z)
FROM (VALUES ('2024-01-01 07:30+08'::timestamptz), ('2024-01-02 09:00+08')) v(t),
     (VALUES ('Asia/Shanghai'), ('America/New_York')) zones(z)
GROUP BY z ORDER BY z;
SELECT portrait.cohort_activity(t, 'week', 2, 'Asia/Shanghai')::text
FROM (VALUES ('2024-01-01 07:30+08'::timestamptz)) v(t);

-- Errors.
\set VERBOSITY sqlstate
SELECT portrait.cohort_activity(now(), 'day', 3, NULL);
SELECT portrait.retention(VARIADIC array_fill(true, ARRAY[33]));
SELECT portrait.cohort_activity(now(), 'fortnight', 3);
SELECT portrait.cohort_activity(now(), 'day', -1);
SELECT * FROM portrait.cohort_matrix('orders', 'customer', 'no such column', 'month', 3);
SELECT * FROM portrait.cohort_matrix('orders', 'customer', 'ordered at', NULL, 3);
SELECT portrait.session_id(ts, '-1 minute') OVER (ORDER BY ts) FROM clicks;
SELECT portrait.session_id(ts, '1 minute') OVER (ORDER BY ts DESC) FROM clicks;
\set VERBOSITY default
-- the messages are about the caller's arguments, with no internal query in their context
SELECT * FROM portrait.cohort_matrix('orders', 'customer', 'no such column', 'month', 3);
SELECT * FROM portrait.cohort_matrix('orders', 'customer', 'ordered at', 'fortnight', 3);
