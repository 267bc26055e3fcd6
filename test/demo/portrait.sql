-- The demo portrait of the generated sample data (demo.customers, demo.orders).
\pset border 1
SET TimeZone = 'Asia/Shanghai';
\echo
\echo '== Sample data'
SELECT count(DISTINCT customer_id) AS customers, count(*) AS orders,
       count(*) FILTER (WHERE amount < 0) AS refunds, min(ordered_at)::date AS first_day,
       max(ordered_at)::date AS last_day
FROM demo.orders;

-- 1. one summary per customer, as of the last day of the data
CREATE TEMP TABLE rfm AS
SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31')).*
FROM demo.orders GROUP BY customer_id;

-- 2. breaks kept as a model, so tomorrow's scores are comparable with today's
CREATE TEMP TABLE rfm_model AS
SELECT portrait.rfm_breaks(recency_days, frequency, monetary) AS model FROM rfm;

\echo
\echo '== RFM breaks (quantile cut points), stored as a portrait.model'
SELECT d.key AS dimension, d.value AS cut_points
FROM rfm_model, jsonb_each(model::jsonb) d WHERE d.key IN ('recency', 'frequency', 'monetary');

-- 3. scores and segments
CREATE TEMP TABLE scored AS
SELECT r.*, (portrait.rfm_score(recency_days, frequency, monetary, m.model)).*,
       (portrait.rfm_score(recency_days, frequency, monetary, m.model, 'cn8')).segment AS cn8
FROM rfm r, rfm_model m WHERE r.recency_days IS NOT NULL;

\echo
\echo '== RFM portrait: the standard 11-segment map'
SELECT segment, count(*) AS customers,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS share_pct,
       round(sum(monetary)::numeric, 0) AS revenue,
       round((100.0 * sum(monetary) / sum(sum(monetary)) OVER ())::numeric, 1) AS revenue_pct,
       round(avg(recency_days), 0) AS avg_recency_days,
       round(avg(frequency), 1) AS avg_frequency,
       round(avg(monetary)::numeric, 0) AS avg_monetary,
       round(avg(r), 1) AS avg_r, round(avg(f), 1) AS avg_f, round(avg(m), 1) AS avg_m
FROM scored GROUP BY segment ORDER BY revenue DESC;

\echo
\echo '== RFM portrait: the 8-class map (R/F/M above or below the mean score)'
SELECT cn8 AS segment, count(*) AS customers,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS share_pct,
       round(sum(monetary)::numeric, 0) AS revenue,
       round(avg(recency_days), 0) AS avg_recency_days,
       round(avg(frequency), 1) AS avg_frequency,
       round(avg(monetary)::numeric, 0) AS avg_monetary
FROM scored GROUP BY cn8 ORDER BY revenue DESC;
