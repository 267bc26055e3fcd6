-- The profile table: a portrait kept up to date by refresh_profile, read through views.
\pset border 1
SET client_min_messages = warning;
DROP TABLE IF EXISTS demo.customer_profile, demo.profile_summary, demo.profile_models CASCADE;

-- the profile table a dashboard reads
CREATE TABLE demo.customer_profile (
    customer_id   bigint PRIMARY KEY,
    recency_days  integer,
    frequency     bigint,
    monetary      double precision,
    r int, f int, m int,
    segment       text,
    segment_cn8   text,
    churn_risk    double precision,
    clv           double precision,
    lifecycle     text,
    cluster       integer
);

-- the purchase summary as of a day (rebuilt before each refresh)
CREATE TABLE demo.profile_summary AS
SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, date '2024-12-31')).*
FROM demo.orders WHERE ordered_at < timestamptz '2025-01-01' GROUP BY customer_id;

-- which churn model? the holdout check: fit BG/NBD, MBG/NBD and Pareto/NBD on
-- the orders up to 2024-09-30 and compare what they expect for the last
-- quarter with what the customers bought then
CREATE TEMP TABLE churn_check AS
SELECT portrait.btyd_compare(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0,
                             holdout_purchases, 92 / 7.0, '{"unit": "weeks"}') AS r
FROM (SELECT customer_id,
             (portrait.rfm_summary(ordered_at, amount, date '2024-09-30') FILTER (WHERE ordered_at < timestamptz '2024-10-01')).*,
             count(DISTINCT ordered_at::date) FILTER (WHERE ordered_at >= timestamptz '2024-10-01'
                                                        AND ordered_at < timestamptz '2025-01-01' AND amount > 0) AS holdout_purchases
      FROM demo.orders GROUP BY customer_id) s;

\echo
\echo '== Which churn model? Holdout check (calibration to 2024-09-30, holdout the last quarter, weeks)'
SELECT model, round(log_likelihood::numeric) AS log_likelihood, round(bic::numeric) AS bic,
       holdout_actual AS actual, round(holdout_expected::numeric) AS expected,
       round(mae::numeric, 3) AS mae, round(rmse::numeric, 3) AS rmse
FROM churn_check, portrait.btyd_compare_models(r);
SELECT frequency AS calibration_repeats, customers, round(actual::numeric, 2) AS actual, round(bgnbd::numeric, 2) AS bgnbd,
       round(mbgnbd::numeric, 2) AS mbgnbd, round(pareto_nbd::numeric, 2) AS pareto_nbd
FROM churn_check, portrait.btyd_compare_by_frequency(r);
SELECT r->>'best' AS churn_model FROM churn_check \gset
\echo 'the profile uses the model that wins most of BIC, holdout MAE and holdout RMSE:' :churn_model

-- models fitted once and kept, so later refreshes score on the same scale;
-- the churn model is the kind the holdout check picked, fitted on all orders
CREATE TABLE demo.profile_models AS
SELECT portrait.rfm_breaks(recency_days, frequency, monetary) AS rfm,
       CASE :'churn_model'
           WHEN 'mbgnbd' THEN portrait.mbgnbd_fit(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0, '{"unit": "weeks"}')
           WHEN 'pareto_nbd' THEN portrait.pareto_nbd_fit(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0, '{"unit": "weeks"}')
           ELSE portrait.bgnbd_fit(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0, '{"unit": "weeks"}')
       END AS bg,
       portrait.gamma_gamma_fit(repeat_frequency, repeat_avg_value) FILTER (WHERE repeat_frequency = 0 OR repeat_avg_value > 0) AS gg,
       NULL::portrait.model AS km
FROM demo.profile_summary WHERE recency_days IS NOT NULL;

-- k-means clusters of the R/F/M scores, when the extension has k-means
SELECT to_regprocedure('portrait.kmeans_assign(double precision[], portrait.model)') IS NOT NULL AS has_kmeans \gset
\if :has_kmeans
UPDATE demo.profile_models mm SET km = (
    SELECT portrait.kmeans_fit(ARRAY[(sc).r, (sc).f, (sc).m]::float8[], 5, '{"seed": 42}')
    FROM (SELECT portrait.rfm_score(recency_days, frequency, monetary, mm.rfm) AS sc
          FROM demo.profile_summary WHERE recency_days IS NOT NULL) s);
\set cluster_expr 'portrait.kmeans_assign(ARRAY[(s.sc).r, (s.sc).f, (s.sc).m]::float8[], s.km)'
\else
\echo '(k-means is not in this build: no clusters)'
\set cluster_expr 'NULL::integer'
\endif

-- the source query: one row per customer; the previous lifecycle stage comes
-- from the profile itself, so "reactivated" can be told
SELECT format($q$
SELECT s.customer_id, s.recency_days, s.frequency, s.monetary, (s.sc).r, (s.sc).f, (s.sc).m, (s.sc).segment,
       portrait.rfm_segment((s.sc).r, (s.sc).f, (s.sc).m, 'cn8', s.rfm) AS segment_cn8,
       portrait.churn_risk(s.repeat_frequency, s.repeat_span_days / 7.0, s.tenure_days / 7.0, s.bg) AS churn_risk,
       CASE WHEN s.repeat_frequency = 0 OR s.repeat_avg_value > 0   -- Gamma-Gamma needs positive spend
            THEN portrait.clv(s.bg, s.gg, s.repeat_frequency, s.repeat_span_days / 7.0, s.tenure_days / 7.0, s.repeat_avg_value)
       END AS clv,
       portrait.lifecycle_stage(s.recency_days, s.tenure_days, s.repeat_frequency, s.repeat_span_days, prev.lifecycle,
                                '{"mode": "rhythm", "model_unit_days": 7}', s.bg) AS lifecycle,
       %s AS cluster
FROM (SELECT p.*, mm.*, portrait.rfm_score(p.recency_days, p.frequency, p.monetary, mm.rfm) AS sc
      FROM demo.profile_summary p CROSS JOIN demo.profile_models mm WHERE p.recency_days IS NOT NULL) s
LEFT JOIN demo.customer_profile prev ON prev.customer_id = s.customer_id
$q$, :'cluster_expr') AS source \gset

\echo
\echo '== Profile table: first refresh (as of 2024-12-31)'
CALL portrait.refresh_profile('demo.customer_profile', :'source');
SELECT portrait.profile_views('demo.customer_profile') AS views_created;

\echo
\echo '== Segment overview (view demo.customer_profile_segments)'
SELECT segment, customers, round((100 * share)::numeric, 1) AS share_pct, round(revenue::numeric) AS revenue,
       round(avg_recency_days::numeric) AS avg_recency, round(avg_frequency::numeric, 1) AS avg_frequency,
       round(avg_monetary::numeric) AS avg_monetary, round(avg_churn_risk::numeric, 2) AS churn_risk,
       round(avg_clv::numeric) AS avg_clv_12m
FROM demo.customer_profile_segments ORDER BY revenue DESC;

\echo
\echo '== Lifecycle stages (own rhythm: P(alive) of the churn model)'
SELECT lifecycle, count(*) AS customers, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS share_pct,
       round(avg(recency_days)) AS avg_recency, round(avg(churn_risk)::numeric, 2) AS churn_risk,
       round(avg(clv)::numeric) AS avg_clv_12m
FROM demo.customer_profile GROUP BY lifecycle
ORDER BY array_position(ARRAY['new', 'active', 'reactivated', 'at_risk', 'dormant', 'churned'], lifecycle);

\if :has_kmeans
\echo
\echo '== Cluster profiles (view demo.customer_profile_clusters)'
SELECT cluster, customers, round((100 * share)::numeric, 1) AS share_pct, round(revenue::numeric) AS revenue,
       round(avg_recency_days::numeric) AS avg_recency, round(avg_frequency::numeric, 1) AS avg_frequency,
       round(avg_monetary::numeric) AS avg_monetary, round(avg_churn_risk::numeric, 2) AS churn_risk, top_segment
FROM demo.customer_profile_clusters ORDER BY cluster::int;
\endif

-- the next month: some customers order again in January 2025
CREATE TEMP TABLE demo_next_month AS
SELECT 900000000 + row_number() OVER (ORDER BY customer_id) AS order_id, customer_id,
       timestamptz '2025-01-01 10:00' + ((customer_id * 7919) % 30) * interval '1 day' AS ordered_at,
       (40 + (customer_id * 104729) % 160)::numeric(12, 2) AS amount
FROM demo.customer_profile WHERE customer_id % 6 = 0 OR (customer_id % 17 = 0 AND recency_days > 180);
INSERT INTO demo.orders (order_id, customer_id, ordered_at, amount) SELECT * FROM demo_next_month;

TRUNCATE demo.profile_summary;
INSERT INTO demo.profile_summary
SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, date '2025-01-31')).*
FROM demo.orders WHERE ordered_at < timestamptz '2025-02-01' GROUP BY customer_id;

\echo
\echo '== Second refresh (as of 2025-01-31) after these January orders'
SELECT count(*) AS new_orders, count(DISTINCT customer_id) AS customers FROM demo_next_month;
CALL portrait.refresh_profile('demo.customer_profile', :'source');

\echo
\echo '== Refresh runs (portrait.profile_run)'
SELECT run_id, finished_at - started_at AS took, inserted, updated, deleted, unchanged, status
FROM portrait.profile_run WHERE target = 'demo.customer_profile' ORDER BY run_id;

\echo
\echo '== Segment migration in the last refresh (view demo.customer_profile_migration), moves only'
\echo '(the RFM breaks are those of the first run, so a month without orders lowers R: Champions who did not buy in January become Loyal Customers)'
SELECT from_segment, to_segment, customers, round((100 * share_of_from)::numeric, 1) AS pct_of_from
FROM demo.customer_profile_migration WHERE from_segment IS DISTINCT FROM to_segment
ORDER BY customers DESC LIMIT 15;

\echo
\echo '== Lifecycle after the second refresh'
SELECT lifecycle, count(*) AS customers FROM demo.customer_profile GROUP BY lifecycle
ORDER BY array_position(ARRAY['new', 'active', 'reactivated', 'at_risk', 'dormant', 'churned'], lifecycle);

-- later parts of the demo see the original orders
DELETE FROM demo.orders WHERE order_id IN (SELECT order_id FROM demo_next_month);
RESET client_min_messages;
