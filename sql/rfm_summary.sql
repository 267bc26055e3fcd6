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
SELECT z, (portrait.rfm_summary(t, 1::numeric, '2024-01-02 12:00+08', z)).recency_days
FROM (VALUES ('2024-01-01 07:30+08'::timestamptz)) v(t), (VALUES ('Asia/Shanghai'), ('UTC')) zones(z)
GROUP BY z ORDER BY z;
-- as_of is compared by its day: rows (or nodes) with as_of on the same day agree.
SELECT (portrait.rfm_summary(t, 1::numeric, a, 'Asia/Shanghai')).tenure_days
FROM (VALUES ('2024-01-01 10:00+08'::timestamptz, '2024-01-05 09:00+08'::timestamptz),
             ('2024-01-02 10:00+08', '2024-01-05 21:00+08')) v(t, a);
SELECT portrait.rfm_summary(t, 1::numeric, a)
FROM (VALUES (date '2024-01-01', date '2024-01-05'), ('2024-01-02', '2024-01-06')) v(t, a);
SELECT portrait.rfm_summary(now(), 1::numeric, now(), 'Nowhere/Else');

-- An empty group gives NULL.
SELECT portrait.rfm_summary(ordered_at, amount, '2024-12-31') IS NULL AS empty_is_null
FROM orders WHERE false;

-- Errors: an order after as_of, NaN amounts, a NULL as_of.
SELECT portrait.rfm_summary(ordered_at, amount, '2024-03-31') FROM orders WHERE customer_id = 1;
SELECT portrait.rfm_summary(now()::date, 'NaN'::numeric, now()::date);
SELECT portrait.rfm_summary(now()::date, 'Infinity'::float8, now()::date);
SELECT portrait.rfm_summary(now()::date, 1::numeric, NULL::date);

-- The aggregate state is a real type with a text form (for distributed engines).
SELECT '1;1;8796;8796;2;2;0;8766;8796;30;0;0;0;10;8766,8796'::portrait.rfm_state;
SELECT portrait.rfm_summary_final('1;1;8796;8796;2;2;0;8766;8796;30;0;0;0;10;8766,8796');
SELECT '1;1;8796;8796;2;2;0;8766;8796;30;0;0;0;10;8796,8766'::portrait.rfm_state;

DROP TABLE orders;
