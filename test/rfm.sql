-- RFM: reference data, equivalence with plain SQL, ties, both scoring forms,
-- parallel plans, and every documented error.
BEGIN;
SELECT plan(80);
SET LOCAL TimeZone = 'Asia/Shanghai';

-- ---------- CDNOW golden test (Fader, Hardie & Lee calibration summary) ----------

CREATE TEMP TABLE cd_sum AS
SELECT customer_id, portrait.rfm_summary(ordered_on, amount, date '1997-09-30') AS s
FROM cdnow.transactions WHERE ordered_on <= date '1997-09-30' GROUP BY customer_id;

SELECT is((SELECT count(*)::int FROM cd_sum JOIN cdnow.summary_ref USING (customer_id)), 2357,
          'CDNOW: all 2,357 customers summarised');
SELECT is((SELECT count(*)::int FROM cd_sum JOIN cdnow.summary_ref r USING (customer_id)
            WHERE (s).repeat_frequency = r.x), 2357, 'CDNOW: x reproduces exactly for every customer');
SELECT cmp_ok((SELECT max(abs((s).repeat_span_days / 7.0 - r.t_x)) FROM cd_sum JOIN cdnow.summary_ref r USING (customer_id)),
              '<=', 0.005000001::float8, 'CDNOW: t_x in weeks within 0.005');
SELECT cmp_ok((SELECT max(abs((s).tenure_days / 7.0 - r.t)) FROM cd_sum JOIN cdnow.summary_ref r USING (customer_id)),
              '<=', 0.005000001::float8, 'CDNOW: T in weeks within 0.005');
SELECT cmp_ok((SELECT max(abs((s).repeat_avg_value - r.zbar)) FROM cd_sum JOIN cdnow.summary_ref r USING (customer_id)),
              '<=', 0.005000001::float8, 'CDNOW: zbar within 0.005');
SELECT is((SELECT count(*)::int FROM cd_sum JOIN cdnow.summary_ref r USING (customer_id)
            WHERE r.x = 0 AND (s).repeat_avg_value <> 0), 0, 'CDNOW: zbar is 0 when x = 0');

-- ---------- calendar days in any session time zone ----------

-- rfm_summary derives local days from cached offset ranges; it must agree
-- with timestamptz::date everywhere: DST changes, half-hour and 45-minute
-- zones, historical local-mean-time offsets with seconds.
CREATE FUNCTION pg_temp.day_mismatches(zone text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SET LOCAL TimeZone = %L', zone);
    SELECT count(*) INTO n FROM (
        SELECT g, (portrait.rfm_summary(ts, 1.0, timestamptz '2100-01-01')).recency_days AS rd, min(ts) AS ts
        FROM (SELECT g, timestamptz '1850-01-01' + (hashint8(g) & 8191) * interval '9 days 1 hour 17 minutes'
                        + ((hashint8(g * 7) & 4095) * interval '1 minute') AS ts
                FROM generate_series(1, 6000) g
              UNION ALL
              SELECT 100000 + h, timestamptz '2024-03-09 22:00 America/New_York' + h * interval '30 minutes'
                FROM generate_series(0, 200) h
              UNION ALL
              SELECT 200000 + h, timestamptz '2024-11-02 22:00 America/New_York' + h * interval '30 minutes'
                FROM generate_series(0, 200) h) v
        GROUP BY g) x
    WHERE rd <> (timestamptz '2100-01-01')::date - ts::date;
    RETURN n;
END $$;
SELECT is((SELECT sum(pg_temp.day_mismatches(z))::int FROM unnest(ARRAY['Asia/Shanghai', 'UTC', 'America/New_York',
            'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Sao_Paulo', 'Pacific/Apia',
            'America/St_Johns']) z), 0,
          'local days agree with timestamptz::date in nine time zones, 1850-2060, across DST changes');
SET LOCAL TimeZone = 'Asia/Shanghai';

-- ---------- equivalence with plain SQL on the generated data ----------

-- a plain table (temporary ones cannot be read by parallel workers)
CREATE TABLE rfm_ours AS
SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31')).*
FROM demo.orders GROUP BY customer_id;

CREATE TEMP TABLE plain AS
WITH p AS (SELECT customer_id, ordered_at, amount, ordered_at::date AS day
             FROM demo.orders WHERE amount >= 0 OR amount IS NULL),
days AS (SELECT customer_id, day, sum(coalesce(amount, 0)) AS total FROM p GROUP BY 1, 2),
d AS (SELECT customer_id, count(*) - 1 AS x, min(day) AS first_day, max(day) AS last_day,
             sum(total) AS all_days FROM days GROUP BY 1),
fd AS (SELECT DISTINCT ON (customer_id) customer_id, total AS first_total FROM days ORDER BY customer_id, day),
o AS (SELECT customer_id, count(*) AS frequency, sum(amount) AS gross, avg(amount) AS aov,
             min(ordered_at) AS first_order, max(ordered_at) AS last_order FROM p GROUP BY 1),
r AS (SELECT customer_id, count(*) FILTER (WHERE amount < 0) AS refunds,
             coalesce(sum(amount) FILTER (WHERE amount < 0), 0) AS refund_amount,
             coalesce(sum(amount), 0) AS monetary FROM demo.orders GROUP BY 1)
SELECT r.customer_id, date '2024-12-31' - d.last_day AS recency_days, coalesce(o.frequency, 0) AS frequency,
       r.monetary, o.aov, o.first_order, o.last_order, date '2024-12-31' - d.first_day AS tenure_days,
       d.x, d.last_day - d.first_day AS t_x,
       CASE WHEN d.x > 0 THEN (d.all_days - fd.first_total) / d.x ELSE 0 END AS zbar,
       r.refunds, r.refund_amount
FROM r LEFT JOIN o USING (customer_id) LEFT JOIN d USING (customer_id) LEFT JOIN fd USING (customer_id);

SELECT is((SELECT count(*)::int FROM rfm_ours), (SELECT count(DISTINCT customer_id)::int FROM demo.orders),
          'one summary per customer');
SELECT is_empty($$
    SELECT customer_id FROM rfm_ours o JOIN plain p USING (customer_id)
     WHERE o.recency_days IS DISTINCT FROM p.recency_days OR o.frequency <> p.frequency
        OR o.tenure_days IS DISTINCT FROM p.tenure_days OR o.repeat_frequency IS DISTINCT FROM p.x
        OR o.repeat_span_days IS DISTINCT FROM p.t_x OR o.refunds <> p.refunds
        OR o.first_order IS DISTINCT FROM p.first_order OR o.last_order IS DISTINCT FROM p.last_order$$,
    'counts, days and first/last order equal plain SQL (count, min/max, distinct days)');
SELECT is_empty($$
    SELECT customer_id FROM rfm_ours o JOIN plain p USING (customer_id)
     WHERE abs(o.monetary - p.monetary::float8) > 1e-9 * greatest(1, abs(p.monetary::float8))
        OR abs(o.refund_amount - p.refund_amount::float8) > 1e-9 * greatest(1, abs(p.refund_amount::float8))
        OR abs(coalesce(o.avg_order_value, 0) - coalesce(p.aov, 0)::float8) > 1e-9 * greatest(1, abs(coalesce(p.aov, 0)::float8))
        OR (o.avg_order_value IS NULL) <> (p.aov IS NULL)
        OR abs(coalesce(o.repeat_avg_value, 0) - coalesce(p.zbar, 0)::float8) > 1e-9 * greatest(1, abs(coalesce(p.zbar, 0)::float8))$$,
    'monetary, refunds, average order value and repeat average equal plain SQL within 1e-9');
SELECT ok((SELECT count(*) FROM plain WHERE refunds > 0) > 0 AND (SELECT count(*) FROM plain WHERE x = 0) > 0,
          'the generated data has refunds and one-day customers (the comparison covers them)');

-- ---------- order independence and parallel plans ----------

SELECT is((SELECT md5(string_agg(s::text, ',' ORDER BY customer_id)) FROM
             (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31') s
                FROM (SELECT * FROM demo.orders ORDER BY md5(order_id::text)) x GROUP BY 1) y),
          (SELECT md5(string_agg(s::text, ',' ORDER BY customer_id)) FROM
             (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31') s
                FROM (SELECT * FROM demo.orders ORDER BY order_id DESC) x GROUP BY 1) y),
          'rfm_summary does not depend on row order');

CREATE TEMP TABLE serial_model AS
SELECT portrait.rfm_breaks(recency_days, frequency, monetary) AS m FROM rfm_ours;
CREATE TEMP TABLE serial_total AS
SELECT (portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31')).* FROM demo.orders;

-- few large groups (a plain table with statistics, so the planner knows)
CREATE TABLE rfm_regions AS SELECT customer_id % 4 AS region, ordered_at, amount FROM demo.orders;
ANALYZE rfm_regions;
CALL test_helpers.force_serial();
CREATE TEMP TABLE rfm_per_customer AS
SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31') AS s FROM demo.orders GROUP BY 1;
CREATE TEMP TABLE serial_regions AS
SELECT region, portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31') AS s FROM rfm_regions GROUP BY 1;

CALL test_helpers.force_parallel();

SELECT matches(test_helpers.plan_of('SELECT (portrait.rfm_summary(ordered_at, amount, timestamptz ''2024-12-31'')).* FROM demo.orders'),
               'Partial Aggregate', 'rfm_summary runs as a partial aggregate in parallel workers');
SELECT matches(test_helpers.plan_of('SELECT region, portrait.rfm_summary(ordered_at, amount, timestamptz ''2024-12-31'') FROM rfm_regions GROUP BY 1'),
               'Partial (Hash|Group)Aggregate', 'rfm_summary over few large groups runs as a partial aggregate');
SELECT matches(test_helpers.plan_of('SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz ''2024-12-31'') FROM demo.orders GROUP BY 1'),
               'Partial (Hash|Group)?Aggregate', 'rfm_summary per customer runs as a partial aggregate in parallel workers');
-- money sums of two-decimal amounts: rounding to 1e-6 compares them within any float error
CREATE TEMP VIEW rfm_fields AS
SELECT customer_id, (s).frequency, (s).repeat_frequency, (s).recency_days, (s).repeat_span_days, (s).first_order,
       (s).last_order, round((s).monetary::numeric, 6) AS monetary, round((s).repeat_avg_value::numeric, 6) AS repeat_avg
  FROM (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31') AS s
          FROM demo.orders GROUP BY 1) p;
SELECT is((SELECT count(*)::int FROM ((TABLE rfm_fields EXCEPT ALL
                                       SELECT customer_id, (s).frequency, (s).repeat_frequency, (s).recency_days,
                                              (s).repeat_span_days, (s).first_order, (s).last_order,
                                              round((s).monetary::numeric, 6), round((s).repeat_avg_value::numeric, 6)
                                         FROM rfm_per_customer)
                                      UNION ALL
                                      (SELECT count(*) - (SELECT count(*) FROM rfm_per_customer), NULL, NULL, NULL, NULL,
                                              NULL, NULL, NULL, NULL FROM rfm_fields
                                       HAVING count(*) <> (SELECT count(*) FROM rfm_per_customer))) d), 0,
          'parallel rfm_summary per customer equals serial (same customers, same fields)');
SELECT is((SELECT count(*)::int FROM serial_regions s
             FULL JOIN (SELECT region, portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31') AS s
                          FROM rfm_regions GROUP BY 1) p USING (region)
            WHERE (s.s).frequency IS DISTINCT FROM (p.s).frequency
               OR (s.s).repeat_frequency IS DISTINCT FROM (p.s).repeat_frequency
               OR (s.s).last_order IS DISTINCT FROM (p.s).last_order
               OR abs((s.s).monetary - (p.s).monetary) > 1e-9 * abs((s.s).monetary)
               OR abs((s.s).repeat_avg_value - (p.s).repeat_avg_value) > 1e-9 * abs((s.s).repeat_avg_value)), 0,
          'parallel grouped rfm_summary equals serial within 1e-9');
SELECT matches(test_helpers.plan_of('SELECT portrait.rfm_breaks(recency_days, frequency, monetary) FROM rfm_ours'),
               'Partial Aggregate', 'rfm_breaks runs as a partial aggregate');

SELECT is((SELECT (portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31')).frequency FROM demo.orders),
          (SELECT frequency FROM serial_total), 'parallel rfm_summary: same frequency as serial');
SELECT ok((SELECT abs(p.monetary - s.monetary) <= 1e-9 * abs(s.monetary)
             AND p.repeat_frequency = s.repeat_frequency AND p.recency_days = s.recency_days
             AND abs(p.repeat_avg_value - s.repeat_avg_value) <= 1e-9 * abs(s.repeat_avg_value)
             AND p.first_order = s.first_order AND p.last_order = s.last_order
           FROM (SELECT (portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31')).* FROM demo.orders) p,
                serial_total s),
          'parallel rfm_summary equals serial within 1e-9');
SELECT is((SELECT portrait.rfm_breaks(recency_days, frequency, monetary)::text FROM rfm_ours),
          (SELECT m::text FROM serial_model), 'parallel rfm_breaks gives the identical model');

CALL test_helpers.reset_parallel();

SELECT is((SELECT portrait.rfm_breaks(recency_days, frequency, monetary)::text
             FROM (SELECT * FROM rfm_ours ORDER BY md5(customer_id::text)) x),
          (SELECT m::text FROM serial_model), 'rfm_breaks does not depend on row order');

-- cut j is the value at position ceil(j n / B) of the sorted column (the
-- largest recencies first), for heavily tied and for nearly distinct columns
CREATE TEMP TABLE cut_check AS
SELECT b, portrait.rfm_breaks(recency_days, frequency, monetary, b)::jsonb AS model,
       array_agg(-recency_days::float8 ORDER BY recency_days DESC) AS r,
       array_agg(frequency::float8 ORDER BY frequency) AS f,
       array_agg(monetary ORDER BY monetary) AS m, count(*) AS n
FROM rfm_ours, (VALUES (5), (7), (100)) v(b) WHERE recency_days IS NOT NULL GROUP BY b;
SELECT is((SELECT count(*)::int FROM cut_check c, generate_series(1, c.b - 1) j,
                  LATERAL (SELECT (c.model -> 'recency' ->> (j - 1))::float8 AS rc,
                                  (c.model -> 'frequency' ->> (j - 1))::float8 AS fc,
                                  (c.model -> 'monetary' ->> (j - 1))::float8 AS mc) x
            WHERE x.rc <> -c.r[ceil(j * c.n / c.b::numeric)::int] OR x.fc <> c.f[ceil(j * c.n / c.b::numeric)::int]
               OR x.mc <> c.m[ceil(j * c.n / c.b::numeric)::int]), 0,
          'cut points are the order statistics ceil(j n / B) of each column (5, 7 and 100 buckets)');
SELECT is((SELECT array_agg(c ORDER BY n) FROM
             (SELECT n, portrait.rfm_breaks(r, f, m, 5)::jsonb -> 'frequency' AS c
                FROM (SELECT n, g AS r, (g * 7) % 5 AS f, g AS m FROM generate_series(1, 7) n, generate_series(1, n) g) t
               GROUP BY n) u),
          ARRAY['[2, 2, 2, 2]', '[2, 2, 4, 4]', '[1, 2, 2, 4]', '[1, 2, 3, 4]', '[0, 1, 2, 3]', '[1, 2, 2, 3]', '[1, 2, 3, 4]']::jsonb[],
          'cut points of 1 to 7 rows in 5 buckets (positions repeat when n < B)');

-- ---------- ties and the two scoring forms ----------

CREATE TEMP TABLE scored AS
SELECT o.customer_id, o.recency_days, o.frequency, o.monetary,
       portrait.rfm_score(recency_days, frequency, monetary, (SELECT m FROM serial_model)) AS s,
       portrait.rfm_score(recency_days, frequency, monetary) OVER () AS w
FROM rfm_ours o WHERE recency_days IS NOT NULL;

SELECT is((SELECT count(*)::int FROM scored WHERE s IS DISTINCT FROM w), 0,
          'stored-model and window scores agree on every customer');
SELECT is((SELECT count(*)::int FROM (SELECT frequency FROM scored GROUP BY 1 HAVING count(DISTINCT (s).f) > 1) t), 0,
          'equal frequencies always get equal f scores');
SELECT is((SELECT count(*)::int FROM (SELECT recency_days FROM scored GROUP BY 1 HAVING count(DISTINCT (s).r) > 1) t), 0,
          'equal recencies always get equal r scores');
SELECT is((SELECT count(*)::int FROM (SELECT monetary FROM scored GROUP BY 1 HAVING count(DISTINCT (s).m) > 1) t), 0,
          'equal monetary values always get equal m scores');
SELECT ok((SELECT bool_and(fa <= fb) FROM (SELECT (s).f AS fa, lead((s).f) OVER (ORDER BY frequency) AS fb
                                              FROM scored) t WHERE fb IS NOT NULL),
          'scores are monotone in the value');
SELECT ok((SELECT count(*) FILTER (WHERE (s).r = 5) FROM scored) > 0
          AND (SELECT count(*) FILTER (WHERE (s).m = 1) FROM scored) > 0, 'scores span 1..5');
SELECT is((SELECT count(*)::int FROM scored WHERE (s).segment IS NULL), 0, 'every customer gets a standard segment');
-- read inclusively, the published table gives New Customers, Promising and
-- Lost no cell of scores 1..5 (earlier rules take them): 8 segments occur
SELECT set_eq($$SELECT DISTINCT (s).segment FROM scored$$,
              ARRAY['Champions', 'Loyal Customers', 'Potential Loyalist', 'Need Attention', 'About To Sleep',
                    'Can''t Lose Them', 'At Risk', 'Hibernating'],
              'the 8 reachable standard segments occur on the generated data');
-- the whole grid of (R, FM) cells, as README shows it
SELECT results_eq(
  $$SELECT r, string_agg(portrait.rfm_segment(r, ceil(fm)::int, (2 * fm - ceil(fm))::int), ' / ' ORDER BY fm)
      FROM generate_series(1, 5) r, generate_series(1, 5, 0.5) fm GROUP BY r ORDER BY r DESC$$,
  $$VALUES (5, 'Potential Loyalist / Potential Loyalist / Potential Loyalist / Potential Loyalist / Loyal Customers / Loyal Customers / Champions / Champions / Champions'),
           (4, 'Potential Loyalist / Potential Loyalist / Potential Loyalist / Potential Loyalist / Loyal Customers / Loyal Customers / Champions / Champions / Champions'),
           (3, 'Potential Loyalist / Potential Loyalist / Potential Loyalist / Potential Loyalist / Loyal Customers / Loyal Customers / Loyal Customers / Loyal Customers / Loyal Customers'),
           (2, 'About To Sleep / About To Sleep / Need Attention / Need Attention / Loyal Customers / Loyal Customers / Loyal Customers / Loyal Customers / Loyal Customers'),
           (1, 'Hibernating / Hibernating / At Risk / At Risk / At Risk / At Risk / Can''t Lose Them / Can''t Lose Them / Can''t Lose Them')$$,
  'the standard map on the 5 x 9 grid of (R, FM) cells, bounds inclusive, first match');
SELECT is(portrait.rfm_segment(4, 4, 4), 'Champions', 'R = F = M = 4 is a Champion (R 4-5, FM 4-5 inclusive)');
-- a user map with inclusive = false keeps the half-open reading
INSERT INTO portrait.rfm_segment_rule (map, priority, segment, r_low, r_high, fm_low, fm_high)
VALUES ('halfopen', 1, 'top', 4, 5, 4, 5), ('halfopen', 2, 'rest', NULL, NULL, NULL, NULL);
SELECT is(portrait.rfm_segment(4, 4, 4, 'halfopen') || ' ' || portrait.rfm_segment(5, 4, 5, 'halfopen'), 'rest top',
          'inclusive = false: low < score <= high');

SELECT is((SELECT count(*)::int FROM (SELECT portrait.rfm_score(recency_days, frequency, monetary, (SELECT m FROM serial_model), 'cn8') AS a,
                                             portrait.rfm_score(recency_days, frequency, monetary, 5, 'cn8') OVER () AS b
                                        FROM scored) t WHERE a IS DISTINCT FROM b), 0,
          'cn8 segments agree between the two forms');
SELECT is((SELECT count(DISTINCT (portrait.rfm_score(recency_days, frequency, monetary, (SELECT m FROM serial_model), 'cn8')).segment)::int
             FROM scored), 8, 'all 8 cn8 classes occur on the generated data');

-- heavy ties: 90% equal values give fewer distinct scores, never a split
SELECT is((SELECT array_agg(DISTINCT (s).f) FROM
             (SELECT portrait.rfm_score(r, f, m) OVER () AS s FROM
                (SELECT 1 AS r, CASE WHEN g <= 90 THEN 1 ELSE g END AS f, g AS m FROM generate_series(1, 100) g) t) u),
          ARRAY[1, 5], 'a 90% tie gets one score; the rest the top score');

-- ---------- after_as_of and money ----------

SELECT is((SELECT md5(string_agg(s::text, ',' ORDER BY customer_id)) FROM
             (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz '2024-06-30', 'ignore') s
                FROM demo.orders GROUP BY 1) y),
          (SELECT md5(string_agg(s::text, ',' ORDER BY customer_id)) FROM
             (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz '2024-06-30') s
                FROM demo.orders WHERE ordered_at < date '2024-06-30' + 1 GROUP BY 1) y),
          'after_as_of ignore equals filtering the later orders out');
SELECT is((SELECT md5(string_agg(s::text, ',' ORDER BY customer_id)) FROM
             (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31', 'error') s
                FROM demo.orders GROUP BY 1) y),
          (SELECT md5(string_agg(s::text, ',' ORDER BY customer_id)) FROM
             (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31') s
                FROM demo.orders GROUP BY 1) y),
          'after_as_of error is the three-argument form');
SELECT matches(test_helpers.plan_of('SELECT (portrait.rfm_summary(ordered_at, amount, timestamptz ''2024-06-30'', ''ignore'')).* FROM demo.orders'),
               'Partial Aggregate', 'rfm_summary with after_as_of runs as a partial aggregate');
SELECT is((SELECT (portrait.rfm_summary(ordered_at, amount, timestamptz '2024-06-30', 'ignore')).monetary FROM demo.orders),
          (SELECT sum(amount)::float8 FROM demo.orders WHERE ordered_at < date '2024-06-30' + 1),
          'parallel rfm_summary with after_as_of ignore: the exact decimal total');
SELECT is((SELECT count(*)::int FROM
             (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31') s,
                     coalesce(sum(amount), 0) AS total, coalesce(sum(amount) FILTER (WHERE amount < 0), 0) AS refunds
                FROM demo.orders GROUP BY 1) y
            WHERE (s).monetary <> total::float8 OR (s).refund_amount <> refunds::float8), 0,
          'monetary and refund_amount of numeric(12,2) amounts are the decimal sums, for every customer');
SELECT is((SELECT (portrait.rfm_summary(d, a, date '2024-12-31')).monetary
             FROM (VALUES (date '2024-01-01', 0.1::numeric), ('2024-01-02', 0.2)) v(d, a)), 0.3::float8,
          'numeric money sums hold no float noise (0.1 + 0.2 = 0.3)');
SELECT is((SELECT (portrait.rfm_summary(d, a, date '2024-12-31')).monetary
             FROM (VALUES (date '2024-01-01', 0.1::float8), ('2024-01-02', 0.2)) v(d, a)), 0.1::float8 + 0.2::float8,
          'float8 amounts are summed as they are');
SELECT is(portrait.rfm_summary_final(portrait.rfm_summary_combine(
              portrait.rfm_summary_trans(NULL, date '2024-01-01', 10.01, date '2024-12-31'),
              portrait.rfm_summary_trans(NULL, date '2024-01-02', 22.6100, date '2024-12-31'))::text::portrait.rfm_state),
          portrait.rfm_summary_final(portrait.rfm_summary_combine(
              portrait.rfm_summary_trans(NULL, date '2024-01-02', 22.6100, date '2024-12-31'),
              portrait.rfm_summary_trans(NULL, date '2024-01-01', 10.01, date '2024-12-31'))),
          'the money scale goes through combine and the text form, in either order');

-- ---------- errors ----------

SELECT throws_ok($$SELECT portrait.rfm_summary(ordered_at, amount, timestamptz '2024-06-30') FROM demo.orders$$,
                 '22023', NULL, 'an order after as_of: 22023');
SELECT throws_ok($$SELECT portrait.rfm_summary(d, 'NaN'::numeric, d) FROM (VALUES (date '2024-01-01')) v(d)$$,
                 '22000', 'amount must be a finite number, not NaN', 'NaN amount: 22000');
SELECT throws_ok($$SELECT portrait.rfm_summary(d, '-Infinity'::numeric, d) FROM (VALUES (date '2024-01-01')) v(d)$$,
                 '22000', NULL, 'infinite numeric amount: 22000');
SELECT throws_ok($$SELECT portrait.rfm_summary(d, 'Infinity'::float8, d) FROM (VALUES (date '2024-01-01')) v(d)$$,
                 '22000', NULL, 'infinite float8 amount: 22000');
SELECT throws_ok($$SELECT portrait.rfm_summary(d, 1::numeric, NULL::date) FROM (VALUES (date '2024-01-01')) v(d)$$,
                 '22004', 'as_of must not be NULL', 'NULL as_of: 22004');
SELECT throws_ok($$SELECT portrait.rfm_summary('infinity'::date, 1::numeric, date '2024-01-01')$$,
                 '22000', NULL, 'infinite order date: 22000');
SELECT throws_ok($$SELECT portrait.rfm_summary(d, 1::numeric, d) FROM (VALUES (date '2024-01-01'), (date '2024-01-02')) v(d)$$,
                 '22023', 'as_of must be on the same day for every row of a group', 'varying as_of: 22023');
SELECT throws_ok($$SELECT 'garbage'::portrait.rfm_state$$, '22P02', NULL, 'malformed aggregate state: 22P02');
SELECT throws_ok($$SELECT portrait.rfm_breaks(1, 2, 3, 101)$$, '22023', NULL, 'too many buckets: 22023');
SELECT throws_ok($$SELECT portrait.rfm_breaks(1, 2, 3, NULL)$$, '22004', NULL, 'NULL buckets: 22004');
SELECT throws_ok($$SELECT portrait.rfm_breaks(1, 'Infinity', 3)$$, '22000', NULL, 'infinite value in breaks: 22000');
SELECT throws_ok($$SELECT portrait.rfm_breaks(1, 2, 3, b) FROM (VALUES (3), (4)) v(b)$$, '22023', NULL,
                 'buckets changing within a group: 22023');
SELECT throws_ok($$SELECT portrait.rfm_score(1, 1, 'NaN', (SELECT m FROM serial_model))$$, '22000', NULL,
                 'NaN value to score: 22000');

SELECT throws_ok($$SELECT portrait.rfm_summary(ordered_at, amount, timestamptz '2024-06-30', 'skip') FROM demo.orders$$,
                 '22023', 'invalid after_as_of "skip"', 'unknown after_as_of: 22023');
SELECT throws_ok($$SELECT portrait.rfm_summary(ordered_at, amount, timestamptz '2024-06-30', NULL) FROM demo.orders$$,
                 '22004', 'after_as_of must not be NULL', 'NULL after_as_of: 22004');
SELECT throws_ok($$SELECT portrait.rfm_summary(d, a, date '2024-12-31') FROM (VALUES (date '2024-01-01', 1e308::float8), ('2024-01-02', 1e308)) v(d, a)$$,
                 '22003', 'sum of purchase amounts is out of range for type double precision', 'amounts summing beyond float8: 22003');
SELECT throws_ok($$SELECT portrait.rfm_summary(d, a, date '2024-12-31') FROM (VALUES (date '2024-01-01', -1e308::numeric), ('2024-01-02', -1e308)) v(d, a)$$,
                 '22003', 'sum of refund amounts is out of range for type double precision', 'refunds summing beyond float8: 22003');
SELECT throws_ok($$SELECT portrait.rfm_segment(9, 5, 5)$$, '22023',
                 'RFM scores (9, 5, 5) match no rule of segment map "standard"', 'scores outside the map: 22023');
SELECT throws_ok($$SELECT portrait.rfm_score(1, 1, 1, '{"kind": "rfm"}')$$, '42804',
                 'rfm_score takes a portrait.model, not text, as its fourth argument', 'a model literal without a cast: 42804');
SELECT throws_ok($$SELECT portrait.rfm_score(1, 1, 1, '{"kind": "rfm"}', 'cn8')$$, '42804', NULL,
                 'a model literal without a cast, with a map: 42804');
SELECT throws_ok($$SELECT portrait.rfm_segment(5, 5, 5, 'no such map')$$, '22023',
                 'segment map "no such map" does not exist', 'unknown segment map: 22023');
SELECT throws_ok($$SELECT portrait.rfm_segment(5, 5, 5, 'cn8')$$, '22023', NULL,
                 'cn8 without population means: 22023');
SELECT throws_ok($$SELECT '{"kind": "rfm", "format": 1, "buckets": 5}'::portrait.model$$, '22P02', NULL,
                 'model text missing fields: 22P02');
SELECT throws_ok($$SELECT '{"kind": "rfm", "format": 1, "buckets": "five", "n": 1, "recency": [1], "frequency": [1],
                    "monetary": [1], "mean_score": [1, 1, 1]}'::portrait.model$$, '22P02', NULL,
                 'model text with a field of the wrong type: 22P02');

-- an explicit time zone: the days of the session's zone without depending on it
CREATE TEMP TABLE tz_session AS
SELECT customer_id, portrait.rfm_summary(ordered_at, amount, '2024-12-31 12:00+08'::timestamptz) AS s
FROM demo.orders WHERE customer_id <= 3000 GROUP BY customer_id;
SET LOCAL timezone = 'UTC';
SELECT set_eq($$SELECT customer_id, s::text FROM tz_session$$,
              $$SELECT customer_id, portrait.rfm_summary(ordered_at, amount, '2024-12-31 12:00+08'::timestamptz, 'error', 'Asia/Shanghai')::text
                FROM demo.orders WHERE customer_id <= 3000 GROUP BY customer_id$$,
              'rfm_summary(..., zone) in a UTC session equals the Asia/Shanghai session''s days');
SELECT set_eq($$SELECT customer_id, (s).recency_days, (s).tenure_days, (s).repeat_frequency, (s).repeat_span_days FROM tz_session$$,
              $$SELECT customer_id, (s).recency_days, (s).tenure_days, (s).repeat_frequency, (s).repeat_span_days
                FROM (SELECT customer_id, portrait.rfm_summary(ordered_at, amount::float8, '2024-12-31 12:00+08'::timestamptz, 'error', 'Asia/Shanghai') AS s
                      FROM demo.orders WHERE customer_id <= 3000 GROUP BY customer_id) q$$,
              'rfm_summary(float8, zone) likewise (the day fields)');
SELECT ok((SELECT count(*) FROM tz_session t JOIN (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, '2024-12-31 12:00+08'::timestamptz) AS s
                                                   FROM demo.orders WHERE customer_id <= 3000 GROUP BY customer_id) u USING (customer_id)
           WHERE (t.s).recency_days <> (u.s).recency_days) > 0,
          'the session form in UTC counts other days (the zone matters for this data)');
SET LOCAL timezone = 'Asia/Shanghai';
SELECT is((SELECT (portrait.rfm_summary(ts, 1::numeric, ts + interval '1 day', 'error', 'America/New_York')).recency_days
           FROM (VALUES ('2024-03-10 01:30-05'::timestamptz)) v(ts)), 1, 'zone form: days in the named zone across a DST change');
-- as_of compared by its day: now(), current_date and literals of the same day
SELECT is((SELECT (portrait.rfm_summary(ts, 1::numeric, a)).recency_days
           FROM (VALUES ('2024-01-01 10:00+08'::timestamptz, '2024-01-03 01:00+08'::timestamptz),
                        ('2024-01-02 10:00+08', '2024-01-03 23:59:59.999+08')) v(ts, a)), 1,
          'as_of values on the same day (now() on different nodes) are one as_of');
SELECT is((portrait.rfm_summary_final(portrait.rfm_summary_combine(
              portrait.rfm_summary_trans(NULL, '2024-01-01 10:00+08'::timestamptz, 1::numeric, '2024-01-05 08:00+08'::timestamptz, 'error', 'Asia/Shanghai'),
              portrait.rfm_summary_trans(NULL, '2024-01-02 10:00+08'::timestamptz, 2::numeric, '2024-01-05 20:00+08'::timestamptz, 'error', 'Asia/Shanghai')))).tenure_days,
          4, 'combine: partial states with as_of on the same day merge');
SELECT throws_ok($$SELECT portrait.rfm_summary_combine(
              portrait.rfm_summary_trans(NULL, '2024-01-01'::date, 1::numeric, '2024-01-05'::date),
              portrait.rfm_summary_trans(NULL, '2024-01-01'::date, 1::numeric, '2024-01-06'::date))$$,
                 '22023', 'as_of must be on the same day for every row of a group', 'combine: as_of on other days: 22023');
SELECT is((SELECT (portrait.rfm_summary(d, 1::numeric, current_date)).frequency FROM (VALUES (current_date - 3), (current_date)) v(d)),
          2::bigint, 'as_of current_date');
SELECT throws_ok($$SELECT portrait.rfm_summary(now(), 1::numeric, now(), 'error', NULL)$$, '22004', 'time zone must not be NULL', 'NULL zone: 22004');
SELECT throws_ok($$SELECT portrait.rfm_summary(now(), 1::numeric, now(), 'ignore', 'Mars/Olympus')$$, '22023', 'time zone "Mars/Olympus" not recognized', 'unknown zone: 22023');

SELECT * FROM finish();
ROLLBACK;
