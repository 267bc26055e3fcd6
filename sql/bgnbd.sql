-- BG/NBD: fit on customers' repeat-purchase summaries, then score them.
-- x = repeat purchases, t_x = time from the first to the last purchase,
-- T = time from the first purchase to the end of the period (here weeks).
CREATE TABLE shop AS
SELECT i AS customer_id, x, CASE WHEN x = 0 THEN 0 ELSE round((tt * ((i * 13) % 17 + 1) / 18.0)::numeric, 2) END AS t_x, tt AS t
FROM (SELECT i, CASE WHEN i % 3 = 0 THEN 0 ELSE (i * 7) % 11 END AS x, 20 + (i * 37) % 30 AS tt
      FROM generate_series(1, 500) i) s;

-- Here every customer drops out with about the same probability, so the
-- likelihood keeps rising as a and b grow together: the plain fit says it
-- did not converge, and a small L2 penalizer gives a usable model.
SELECT (m::jsonb->>'converged')::bool AS converged,
       round(((m::jsonb->>'a')::float8 / ((m::jsonb->>'a')::float8 + (m::jsonb->>'b')::float8))::numeric, 3) AS mean_dropout
FROM (SELECT portrait.bgnbd_fit(x, t_x, t, '{"unit": "weeks"}') AS m FROM shop) s;

CREATE TABLE shop_model AS
SELECT portrait.bgnbd_fit(x, t_x, t, '{"unit": "weeks", "penalizer": 0.001}') AS m FROM shop;

-- The model: parameters (r, alpha: purchase rate; a, b: dropout), fit statistics.
SELECT round((m::jsonb->>'r')::numeric, 3) AS r, round((m::jsonb->>'alpha')::numeric, 3) AS alpha,
       round((m::jsonb->>'a')::numeric, 3) AS a, round((m::jsonb->>'b')::numeric, 3) AS b,
       round((m::jsonb->>'log_likelihood')::numeric, 2) AS log_likelihood,
       m::jsonb->'n' AS n, m::jsonb->'converged' AS converged, m::jsonb->>'unit' AS unit
FROM shop_model;

-- Scores: still alive? churn risk, purchases expected in the next 10 weeks.
SELECT s.customer_id, s.x, s.t_x, s.t,
       round(portrait.p_alive(x, t_x, t, m)::numeric, 4) AS p_alive,
       round(portrait.churn_risk(x, t_x, t, m)::numeric, 4) AS churn_risk,
       round(portrait.expected_purchases(m, 10, x, t_x, t)::numeric, 4) AS next_10_weeks
FROM shop s, shop_model WHERE s.customer_id IN (1, 2, 3, 4, 5, 17) ORDER BY s.customer_id;

-- A new customer: expected purchases and the distribution of the count in 20 weeks.
SELECT round(portrait.expected_purchases(m, 20)::numeric, 4) AS expected_in_20_weeks FROM shop_model;
SELECT n, round(portrait.prob_purchases(m, 20, n)::numeric, 4) AS probability
FROM shop_model, generate_series(0, 4) n;

-- A model can be written by hand, e.g. the published CDNOW parameters.
SELECT round(portrait.prob_purchases('{"kind": "bgnbd", "format": 1, "r": 0.243, "alpha": 4.414,
         "a": 0.793, "b": 2.426, "unit": "weeks"}', 39, 0)::numeric, 7) AS p_no_purchase_in_39_weeks;

-- The Gauss hypergeometric function behind expected_purchases.
SELECT round(portrait.hyp2f1(1, 1, 2, 0.5)::numeric, 12) AS series,
       round(portrait.hyp2f1(1, 1, 2, -3)::numeric, 12) AS pfaff,
       round(portrait.hyp2f1(1.5, 2.5, 0.7, 0.99)::numeric, 3) AS euler;

-- Bad input is refused with an error and SQLSTATE.
\set VERBOSITY sqlstate
SELECT portrait.bgnbd_fit(x, t_x, t) FROM (VALUES (1, 5.0, 4.0)) v(x, t_x, t);
SELECT portrait.bgnbd_fit(x, t_x, t) FROM (VALUES (2, 0.0, 6.0)) v(x, t_x, t);
SELECT portrait.bgnbd_fit(x, t_x, t) FROM (VALUES (1.5, 3.0, 6.0)) v(x, t_x, t);
SELECT portrait.bgnbd_fit(x, t_x, t) FROM shop WHERE customer_id < 5;
SELECT portrait.p_alive(1, 2, 3, portrait.rfm_breaks(1, 2, 3));
\set VERBOSITY default
SELECT portrait.bgnbd_fit(x, t_x, t, '{"penalty": 1}') FROM shop;

DROP TABLE shop, shop_model;
