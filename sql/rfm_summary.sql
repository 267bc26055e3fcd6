-- rfm_summary: one customer's purchase summary as of a day.
SET datestyle = 'ISO, YMD';
SET TimeZone = 'Asia/Shanghai';

CREATE TABLE orders (customer_id int, ordered_at timestamptz, amount numeric);
INSERT INTO orders VALUES
    -- customer 1: two orders on the first day, then two more purchase days
    (1, '2024-01-01 09:00', 10.00), (1, '2024-01-01 18:30', 5.00),
    (1, '2024-02-01 12:00', 20.00), (1, '2024-06-01 08:00', 40.00),
    -- customer 2: one order only
    (2, '2024-12-30 23:59', 99.90),
    -- customer 3: a refund (negative amount) lowers monetary but is no purchase
    (3, '2024-03-10 10:00', 50.00), (3, '2024-03-12 10:00', -50.00), (3, '2024-11-01 10:00', 30.00),
    -- customer 4: an order of unknown value (NULL amount) and a row without a time (skipped)
    (4, '2024-10-01 10:00', NULL), (4, '2024-12-01 10:00', 60.00), (4, NULL, 1000.00),
    -- customer 5: refunds only
    (5, '2024-05-05 10:00', -20.00);

SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, '2024-12-31')).*
FROM orders GROUP BY customer_id ORDER BY customer_id;

-- Customer 1 by hand: purchase days 01-01 (15.00), 02-01 (20.00), 06-01 (40.00);
-- x = 3 days - 1 = 2, t_x = 06-01 - 01-01 = 152 days, T = 12-31 - 01-01 = 365 days,
-- repeat_avg_value = (20 + 40) / 2 = 30, recency = 12-31 - 06-01 = 213 days.

-- Days are calendar days in the session time zone: 01:00 on 12-31 in
-- Shanghai is 17:00 on 12-30 in UTC, so the same order is 0 or 1 day old.
SELECT (portrait.rfm_summary(t, 1.0, '2024-12-31')).recency_days
FROM (VALUES ('2024-12-31 01:00+08'::timestamptz)) v(t);
SET TimeZone = 'UTC';
SELECT (portrait.rfm_summary(t, 1.0, '2024-12-31')).recency_days
FROM (VALUES ('2024-12-31 01:00+08'::timestamptz)) v(t);
SET TimeZone = 'Asia/Shanghai';

-- date and timestamp inputs, float8 amounts
SELECT (portrait.rfm_summary(d, a, date '1997-09-30')).*
FROM (VALUES (date '1997-01-01', 29.33::float8), ('1997-01-18', 29.73), ('1997-08-02', 14.96)) v(d, a);
SELECT (portrait.rfm_summary(t, a, timestamp '2024-01-10')).repeat_frequency
FROM (VALUES (timestamp '2024-01-01 10:00', 1::numeric), ('2024-01-01 23:00', 2), ('2024-01-02 00:00', 3)) v(t, a);

-- A named time zone: the days of an evening order in Shanghai and in UTC,
-- whatever the session's TimeZone (on Citus, the workers' TimeZone).
SELECT z, (portrait.rfm_summary(t, 1::numeric, '2024-01-02 12:00+08', 'error', z)).recency_days
FROM (VALUES ('2024-01-01 07:30+08'::timestamptz)) v(t), (VALUES ('Asia/Shanghai'), ('UTC')) zones(z)
GROUP BY z ORDER BY z;
-- as_of is compared by its day: rows (or nodes) with as_of on the same day agree.
SELECT (portrait.rfm_summary(t, 1::numeric, a, 'error', 'Asia/Shanghai')).tenure_days
FROM (VALUES ('2024-01-01 10:00+08'::timestamptz, '2024-01-05 09:00+08'::timestamptz),
             ('2024-01-02 10:00+08', '2024-01-05 21:00+08')) v(t, a);
SELECT portrait.rfm_summary(t, 1::numeric, a)
FROM (VALUES (date '2024-01-01', date '2024-01-05'), ('2024-01-02', '2024-01-06')) v(t, a);
SELECT portrait.rfm_summary(now(), 1::numeric, now(), 'error', 'Nowhere/Else');

-- An empty group gives NULL.
SELECT portrait.rfm_summary(ordered_at, amount, '2024-12-31') IS NULL AS empty_is_null
FROM orders WHERE false;

-- Errors: an order after as_of, NaN amounts, a NULL as_of.
SELECT portrait.rfm_summary(ordered_at, amount, '2024-03-31') FROM orders WHERE customer_id = 1;
SELECT portrait.rfm_summary(now()::date, 'NaN'::numeric, now()::date);
SELECT portrait.rfm_summary(now()::date, 'Infinity'::float8, now()::date);
SELECT portrait.rfm_summary(now()::date, 1::numeric, NULL::date);

-- after_as_of: 'error' (the default, as above) or 'ignore', which leaves rows
-- after the as_of day out, as if a WHERE clause had filtered them.
SELECT (portrait.rfm_summary(ordered_at, amount, '2024-03-31', 'ignore')).*
  FROM orders WHERE customer_id = 1;
SELECT (portrait.rfm_summary(ordered_at, amount, '2024-03-31')).*
  FROM orders WHERE customer_id = 1 AND ordered_at < date '2024-03-31' + 1;
SELECT portrait.rfm_summary(ordered_at, amount, '2024-03-31', 'error') FROM orders WHERE customer_id = 1;
SELECT portrait.rfm_summary(ordered_at, amount, '2023-12-31', 'ignore') IS NULL AS nothing_before FROM orders WHERE customer_id = 1;
SELECT portrait.rfm_summary(ordered_at, amount, '2024-03-31', 'skip') FROM orders WHERE customer_id = 1;
SELECT portrait.rfm_summary(ordered_at, amount, '2024-03-31', NULL) FROM orders WHERE customer_id = 1;

-- Money: sums of numeric amounts come out as the decimals they are (rounded
-- to the largest scale of the amounts; float8 amounts are summed as they are).
SELECT (s).monetary, (s).refund_amount, (s).avg_order_value
  FROM (SELECT portrait.rfm_summary(d, a, date '2024-12-31') AS s
          FROM (VALUES (date '2024-01-01', 10.01::numeric(12,2)), ('2024-01-02', 22.61),
                       ('2024-01-03', -0.10), ('2024-01-03', -0.20)) v(d, a)) t;
SELECT (portrait.rfm_summary(d, a::float8, date '2024-12-31')).monetary
  FROM (VALUES (date '2024-01-01', 10.01), ('2024-01-02', 22.61)) v(d, a);
-- a sum beyond float8's range is an error, not NaN
SELECT portrait.rfm_summary(d, a, date '2024-12-31')
  FROM (VALUES (date '2024-01-01', 1e308::float8), ('2024-01-02', 1e308)) v(d, a);
SELECT portrait.rfm_summary(d, a, date '2024-12-31')
  FROM (VALUES (date '2024-01-01', -1e308::numeric), ('2024-01-02', -1e308)) v(d, a);

-- The aggregate state is a real type with a text form (for distributed engines).
SELECT '1;1;8796;8796;2;2;0;8766;8796;30;0;0;0;10;8766,8796'::portrait.rfm_state;
SELECT portrait.rfm_summary_final('1;1;8796;8796;2;2;0;8766;8796;30;0;0;0;10;8766,8796');
SELECT '1;1;8796;8796;2;2;0;8766;8796;30;0;0;0;10;8796,8766'::portrait.rfm_state;
-- since 0.5.0 the text form carries the money scale (version 2); version 1 still reads
SELECT portrait.rfm_summary_trans(NULL, date '2024-01-01', 10.01, date '2024-12-31');
SELECT portrait.rfm_summary_final('2;1;3;9131;9131;2;2;0;8766;8767;32.620000000000005;0;0;0;10.01;8766,8767');

DROP TABLE orders;
