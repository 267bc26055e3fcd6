-- Gamma-Gamma spend model and customer lifetime value.
-- avg_value is the mean value of a customer's repeat purchases (rfm_summary's
-- repeat_avg_value); the fit uses repeat buyers only and skips x = 0 rows.
CREATE TABLE shop AS
SELECT i AS customer_id, x,
       CASE WHEN x = 0 THEN 0 ELSE round((tt * ((i * 13) % 17 + 1) / 18.0)::numeric, 2) END AS t_x, tt AS t,
       CASE WHEN x = 0 THEN 0 ELSE 20 + (i * 31) % 45 + (i % 5) * 8 END AS avg_value
FROM (SELECT i, CASE WHEN i % 3 = 0 THEN 0 ELSE (i * 7) % 11 END AS x, 20 + (i * 37) % 30 AS tt
      FROM generate_series(1, 500) i) s;

CREATE TABLE models AS
SELECT (SELECT portrait.bgnbd_fit(x, t_x, t, '{"unit": "weeks", "penalizer": 0.001}') FROM shop) AS bg,
       (SELECT portrait.gamma_gamma_fit(x, avg_value) FROM shop) AS gg;

SELECT round((gg::jsonb->>'p')::numeric, 3) AS p, round((gg::jsonb->>'q')::numeric, 3) AS q,
       round((gg::jsonb->>'gamma')::numeric, 3) AS gamma, gg::jsonb->'n' AS repeat_buyers,
       gg::jsonb->'skipped' AS skipped, gg::jsonb->'converged' AS converged
FROM models;

-- Expected average value (shrunk towards the population mean) and the
-- 12-month CLV at 1% a month; a month is 4.345 weeks in a weeks model.
SELECT customer_id, x, avg_value,
       round(portrait.expected_avg_value(gg, x, avg_value)::numeric, 2) AS expected_value,
       round(portrait.clv(bg, gg, x, t_x, t, avg_value)::numeric, 2) AS clv_12_months,
       round(portrait.clv(bg, gg, x, t_x, t, avg_value, 24, 0.02)::numeric, 2) AS clv_24_months_2pct
FROM shop, models WHERE customer_id IN (1, 2, 3, 5, 7) ORDER BY customer_id;

\set VERBOSITY sqlstate
SELECT portrait.gamma_gamma_fit(x, v) FROM (VALUES (2, -5.0)) s(x, v);
SELECT portrait.gamma_gamma_fit(x, avg_value) FROM shop WHERE customer_id < 10;
SELECT portrait.clv(gg, bg, 1, 2, 3, 10) FROM models;
\set VERBOSITY default

DROP TABLE shop, models;
