-- Churn models for one-time buyers: BG/NBD, MBG/NBD and Pareto/NBD on the
-- CDNOW sample (2,357 customers, first purchases in early 1997), checked on
-- a holdout period, the winner used for scoring.
CREATE TABLE cdnow_raw (line text);
\copy cdnow_raw FROM 'test/data/cdnow/CDNOW_sample.txt'
CREATE TABLE orders AS
SELECT f[2]::int AS customer_id, to_date(f[3], 'YYYYMMDD') AS ordered_on, f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(btrim(replace(line, E'\r', '')), '\s+') AS f FROM cdnow_raw) s;

-- 1. Split: calibration up to 1997-09-30, holdout the 39 weeks after.  The
--    calibration summary is rfm_summary of the calibration orders; the
--    holdout count is the customer's distinct purchase days after it.
CREATE TABLE split AS
SELECT customer_id,
       (portrait.rfm_summary(ordered_on, amount, date '1997-09-30') FILTER (WHERE ordered_on <= date '1997-09-30')).*,
       count(DISTINCT ordered_on) FILTER (WHERE ordered_on > date '1997-09-30') AS holdout_purchases
FROM orders GROUP BY customer_id;

-- 2. One statement fits the three models (in weeks) and checks them on the holdout.
CREATE TABLE report AS
SELECT portrait.btyd_compare(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0,
                             holdout_purchases, 39, '{"unit": "weeks"}') AS r
FROM split;

SELECT model, round(log_likelihood::numeric, 2) AS log_likelihood, round(aic::numeric, 1) AS aic,
       round(bic::numeric, 1) AS bic, holdout_actual AS actual, round(holdout_expected::numeric, 1) AS expected,
       round(mae::numeric, 4) AS mae, round(rmse::numeric, 4) AS rmse, converged
FROM report, portrait.btyd_compare_models(r);

-- Mean holdout purchases per customer, actual and expected, by calibration frequency.
SELECT frequency, customers, round(actual::numeric, 3) AS actual, round(bgnbd::numeric, 3) AS bgnbd,
       round(mbgnbd::numeric, 3) AS mbgnbd, round(pareto_nbd::numeric, 3) AS pareto_nbd
FROM report, portrait.btyd_compare_by_frequency(r);

-- The pick: the model that wins most of BIC, holdout MAE and holdout RMSE.
SELECT r->>'best_bic' AS best_bic, r->>'best_mae' AS best_mae, r->>'best_rmse' AS best_rmse, r->>'best' AS best FROM report;

-- 3. The fitted models are in the report; keep the one picked.
CREATE TABLE churn_model AS
SELECT m.fit AS m FROM report, portrait.btyd_compare_models(r) m WHERE m.model = r->>'best';
SELECT portrait.model_kind(m) AS kind, round((m::jsonb->>'r')::numeric, 3) AS r,
       round((m::jsonb->>'alpha')::numeric, 3) AS alpha, round((m::jsonb->>'s')::numeric, 3) AS s,
       round((m::jsonb->>'beta')::numeric, 3) AS beta
FROM churn_model;

-- 4. Scores: one-time buyers now get a churn risk that grows with the time
--    since their purchase (under BG/NBD it is 0 for all of them).
SELECT weeks_since_purchase,
       round(portrait.churn_risk(0, 0, weeks_since_purchase, c.m)::numeric, 3) AS churn_risk,
       round(portrait.churn_risk(0, 0, weeks_since_purchase, b.fit)::numeric, 3) AS bgnbd_churn_risk,
       round(portrait.expected_purchases(c.m, 52, 0, 0, weeks_since_purchase)::numeric, 3) AS next_52_weeks
FROM churn_model c, report, portrait.btyd_compare_models(r) b,
     (VALUES (2), (10), (26), (39)) w(weeks_since_purchase)
WHERE b.model = 'bgnbd';

-- The same functions score every model kind; MBG/NBD and Pareto/NBD fit on their own too.
SELECT portrait.model_kind(portrait.mbgnbd_fit(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0, '{"unit": "weeks"}')) AS mbg,
       portrait.model_kind(portrait.pareto_nbd_fit(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0, '{"unit": "weeks"}')) AS pnbd
FROM split;

-- Errors: a t_x beyond T, and a model that cannot score (a spend model).
SELECT portrait.pareto_nbd_fit(2, 40, 39);
SELECT portrait.churn_risk(1, 1, 2, '{"kind": "gamma_gamma", "format": 1, "p": 6, "q": 4, "gamma": 15}');
