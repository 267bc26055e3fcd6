-- BG/NBD: CDNOW reference (Fader, Hardie & Lee 2005), the hypergeometric
-- function against scipy, model properties, order independence, parallel
-- plans, options and every documented error.
BEGIN;
SELECT plan(65);
SET LOCAL TimeZone = 'Asia/Shanghai';

-- ---------- CDNOW: the published fit (weeks) ----------

CREATE TEMP TABLE cd_model AS
SELECT portrait.bgnbd_fit(x, t_x, t, '{"unit": "weeks"}') AS m FROM cdnow.summary_ref;
CREATE TEMP TABLE cd AS
SELECT (m::jsonb->>'r')::float8 AS r, (m::jsonb->>'alpha')::float8 AS alpha,
       (m::jsonb->>'a')::float8 AS a, (m::jsonb->>'b')::float8 AS b,
       (m::jsonb->>'log_likelihood')::float8 AS ll, m FROM cd_model;
-- published parameters, as a model
CREATE TEMP TABLE pub AS
SELECT '{"kind": "bgnbd", "format": 1, "r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "unit": "weeks"}'::portrait.model AS m;

SELECT is((SELECT round(r::numeric, 3) FROM cd), 0.243, 'CDNOW: r = 0.243 as published');
SELECT is((SELECT round(alpha::numeric, 3) FROM cd), 4.414, 'CDNOW: alpha = 4.414 as published');
SELECT is((SELECT round(a::numeric, 3) FROM cd), 0.793, 'CDNOW: a = 0.793 as published');
SELECT is((SELECT round(b::numeric, 3) FROM cd), 2.426, 'CDNOW: b = 2.426 as published');
SELECT is((SELECT round(ll::numeric, 1) FROM cd), -9582.4, 'CDNOW: log-likelihood -9582.4 as published');
SELECT ok((SELECT (m::jsonb->>'converged')::bool AND (m::jsonb->>'n')::int = 2357
                  AND (m::jsonb->>'iterations')::int BETWEEN 1 AND 200 AND m::jsonb->>'unit' = 'weeks'
             FROM cd), 'CDNOW: converged, n = 2357, iterations reported, unit weeks');
-- scipy Nelder-Mead on the same likelihood (make_reference.py), tolerances of its own convergence
SELECT ok((SELECT abs(cd.r / f.r - 1) < 1e-6 AND abs(cd.alpha / f.alpha - 1) < 1e-6
                  AND abs(cd.a / f.a - 1) < 1e-6 AND abs(cd.b / f.b - 1) < 1e-6
                  AND abs(cd.ll - f.log_likelihood) < 1e-6
             FROM cd, bgnbd_ref.cdnow_fit f), 'CDNOW: parameters equal scipy''s fit within 1e-6 relative');
SELECT ok((SELECT abs(portrait.expected_purchases(m, 39, 2, 30.43, 38.86) - 1.226) <= 0.001 FROM cd),
          'CDNOW: E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226 (fitted model)');
SELECT ok((SELECT abs(portrait.expected_purchases(m, 39, 2, 30.43, 38.86) - 1.226) <= 0.001 FROM pub),
          'CDNOW: E[Y(39) | 2, 30.43, 38.86] = 1.226 (published parameters)');
-- FHL's spreadsheet values to 4 decimals; the last (1.8576) is 0.0004 below the exact value that
-- scipy's hyp2f1 gives, so the published check is at 0.0005 and the exact one at 1e-9
SELECT ok((SELECT bool_and(abs(portrait.expected_purchases(cd.m, p.t) - p.v) <= 0.0005)
             FROM cd, (VALUES (0.1429, 0.0078), (1, 0.0532), (3, 0.1506), (31.8571, 1.0405),
                              (32, 1.0437), (78, 1.8576)) p(t, v)),
          'CDNOW: E[X(t)] for t = 0.1429, 1, 3, 31.8571, 32, 78 as published (within 0.0005)');
SELECT ok((SELECT bool_and(abs(portrait.expected_purchases(cd.m, e.t) / e.value - 1) <= 1e-6)
             FROM cd, bgnbd_ref.expected e),
          'CDNOW: E[X(t)] equals scipy within 1e-6 relative (its parameters agree to 1e-8)');
SELECT is((SELECT round(portrait.prob_purchases(m, 39, 0)::numeric, 7) FROM pub), 0.5737864,
          'P(N(39) = 0) = 0.5737864 with the published parameters');

-- ---------- numerical stability of the likelihood ----------

CREATE TEMP TABLE stab AS
SELECT '{"kind": "bgnbd", "format": 1, "r": 0.25, "alpha": 4, "a": 0.8, "b": 2.5}'::portrait.model AS m;
SELECT ok((SELECT abs(portrait.bgnbd_loglik(0, 0, 40, m) - (-0.59947382)) <= 1e-5 FROM stab),
          'stability: x = 0, t_x = 0, T = 40 gives -0.59947382');
SELECT ok((SELECT abs(portrait.bgnbd_loglik(200, 38, 40, m) - 100.7957) <= 1e-5 FROM stab),
          'stability: x = 200, t_x = 38, T = 40 gives 100.7957');
SELECT ok((SELECT portrait.bgnbd_loglik(1e6, 38, 40, m) > 0 AND portrait.p_alive(1e6, 38, 40, m) BETWEEN 0 AND 1
             FROM stab), 'stability: a million purchases stays finite');

-- ---------- the hypergeometric function ----------

SELECT ok((SELECT bool_and(abs(portrait.hyp2f1(a, b, c, z) / value - 1) <= 1e-11) FROM bgnbd_ref.hyp2f1),
          'hyp2f1 equals scipy within 1e-11 relative (series, Euler, Pfaff, z = 1, terminating)');
SELECT ok(abs(portrait.hyp2f1(1, 1, 2, 0.9) - (-ln(1 - 0.9) / 0.9)) <= 1e-13,
          'hyp2f1(1, 1; 2; z) = -ln(1 - z) / z at z = 0.9');
SELECT ok(abs(portrait.hyp2f1(1, 1, 2, -3) - (ln(4) / 3)) <= 1e-13,
          'hyp2f1(1, 1; 2; z) = -ln(1 - z) / z at z = -3 (Pfaff)');
SELECT ok(abs(portrait.hyp2f1(0.5, 0.5, 1.5, 0.25) - asin(0.5) / 0.5) <= 1e-13,
          'hyp2f1(1/2, 1/2; 3/2; z^2) = asin(z) / z');
SELECT ok(abs(portrait.hyp2f1(2.5, 3, 3, 0.7) / power(0.3, -2.5) - 1) <= 1e-12,
          'hyp2f1(a, b; b; z) = (1 - z)^-a');
SELECT is(portrait.hyp2f1(3, 4, 5, 0), 1::float8, 'hyp2f1 at z = 0 is 1');
-- scipy: 29.607861654548447 and 92.3839806468436 (z = 1 - 4.4e-7 goes through the 1 - z formula)
SELECT ok((SELECT abs(portrait.expected_purchases(m, 1e5) / 29.607861654548447 - 1) <= 1e-12
                  AND abs(portrait.expected_purchases(m, 1e7) / 92.3839806468436 - 1) <= 1e-12 FROM pub),
          'E[X(t)] over very long horizons equals scipy within 1e-12');
SELECT throws_ok('SELECT portrait.hyp2f1(1, 1, 0, 0.5)', '22023', NULL, 'hyp2f1: c = 0 is refused');
SELECT throws_ok('SELECT portrait.hyp2f1(1, 1, 2, 1.5)', '22023', NULL, 'hyp2f1: z > 1 is refused');
SELECT throws_ok('SELECT portrait.hyp2f1(1, 1, 1.5, 1)', '22023', NULL, 'hyp2f1: divergent at z = 1 is refused');
SELECT throws_ok('SELECT portrait.hyp2f1(1, 1, 2, ''NaN'')', '22023', NULL, 'hyp2f1: NaN is refused');

-- ---------- properties ----------

SELECT ok((SELECT abs(sum(portrait.prob_purchases(m, 39, n)) - 1) <= 1e-9 FROM cd, generate_series(0, 400) n),
          'P(N(39) = n) sums to 1');
SELECT ok((SELECT abs(sum(n * portrait.prob_purchases(m, 39, n)) - (SELECT portrait.expected_purchases(m, 39) FROM cd)) <= 1e-8
             FROM cd, generate_series(0, 2000) n),
          'the mean of P(N(39) = n) equals E[X(39)] (two formulas agree)');
SELECT is((SELECT portrait.p_alive(0, 0, 30, m) FROM cd), 1::float8, 'p_alive is 1 without repeat purchases');
SELECT ok((SELECT bool_and(abs(portrait.churn_risk(x, t_x, t, m) + portrait.p_alive(x, t_x, t, m) - 1) <= 1e-15)
             FROM cd, cdnow.summary_ref), 'churn_risk = 1 - p_alive');
SELECT ok((SELECT portrait.p_alive(5, 35, 38, m) > portrait.p_alive(5, 10, 38, m) FROM cd),
          'a recent last purchase means more likely alive');
SELECT is((SELECT portrait.expected_purchases(m, 0, 2, 30.43, 38.86) FROM cd), 0::float8,
          'no purchases expected in a zero horizon');
SELECT ok((SELECT abs(portrait.expected_purchases(m, 39, 0, 0, 0) - portrait.expected_purchases(m, 39)) <= 1e-15
             FROM cd), 'a new customer is x = t_x = T = 0');
SELECT ok((SELECT abs(portrait.expected_purchases(
                 '{"kind": "bgnbd", "format": 1, "r": 0.3, "alpha": 4, "a": 1, "b": 2.5}', 10, 2, 5, 8)
             - (portrait.expected_purchases('{"kind": "bgnbd", "format": 1, "r": 0.3, "alpha": 4, "a": 0.999, "b": 2.5}', 10, 2, 5, 8)
              + portrait.expected_purchases('{"kind": "bgnbd", "format": 1, "r": 0.3, "alpha": 4, "a": 1.001, "b": 2.5}', 10, 2, 5, 8)) / 2)
             <= 1e-6), 'expected_purchases is continuous at a = 1');
SELECT is((SELECT m::text::portrait.model::text FROM cd), (SELECT m::text FROM cd), 'a bgnbd model reads back from its text');

-- ---------- days, order independence, NULLs, parallel plans ----------

-- a plain table: temporary tables are never scanned by parallel workers
CREATE TABLE bgnbd_days AS
SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31')).*
FROM demo.orders GROUP BY customer_id;
CREATE TEMP TABLE serial_model AS
SELECT portrait.bgnbd_fit(repeat_frequency, repeat_span_days, tenure_days) AS m FROM bgnbd_days;
SELECT is((SELECT m::jsonb->>'unit' FROM serial_model), 'days', 'the default unit is days');
SELECT ok((SELECT (m::jsonb->>'converged')::bool FROM serial_model), 'the generated data converge');
SELECT is((SELECT portrait.bgnbd_fit(repeat_frequency, repeat_span_days, tenure_days)::text
             FROM (SELECT * FROM bgnbd_days ORDER BY md5(customer_id::text)) s),
          (SELECT m::text FROM serial_model), 'row order does not change the model');
SELECT is((SELECT portrait.bgnbd_fit(f, s, t)::text
             FROM (SELECT repeat_frequency f, repeat_span_days s, tenure_days t FROM bgnbd_days
                   UNION ALL SELECT NULL, 1, 2 UNION ALL SELECT 1, NULL, 2) s),
          (SELECT m::text FROM serial_model), 'rows with a NULL are skipped');
SELECT ok((SELECT portrait.bgnbd_fit(x, t_x, t) FROM cdnow.summary_ref WHERE false) IS NULL,
          'no rows: NULL model');

CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of('SELECT portrait.bgnbd_fit(repeat_frequency, repeat_span_days, tenure_days) FROM bgnbd_days'),
               'Partial Aggregate', 'bgnbd_fit runs as a partial aggregate in parallel workers');
SELECT is((SELECT portrait.bgnbd_fit(repeat_frequency, repeat_span_days, tenure_days)::text FROM bgnbd_days),
          (SELECT m::text FROM serial_model), 'parallel bgnbd_fit gives the identical model');
SELECT is((SELECT portrait.bgnbd_fit(repeat_frequency, repeat_span_days, tenure_days, '{"penalizer": 0.001}')::text FROM bgnbd_days),
          (SELECT portrait.bgnbd_fit(repeat_frequency, repeat_span_days, tenure_days, '{"penalizer": 0.001}')::text
             FROM (SELECT * FROM bgnbd_days ORDER BY customer_id LIMIT 100000) s),
          'parallel bgnbd_fit with options equals serial');
CALL test_helpers.reset_parallel();

-- ---------- partial states moved as text (what Citus does between nodes) ----------

CREATE AGGREGATE pg_temp.bg_state(float8, float8, float8) (SFUNC = portrait.bgnbd_fit_trans, STYPE = portrait.points);
CREATE AGGREGATE pg_temp.bg_state(float8, float8, float8, jsonb) (SFUNC = portrait.bgnbd_fit_trans, STYPE = portrait.points);
CREATE AGGREGATE pg_temp.bg_merge(portrait.points) (SFUNC = portrait.bgnbd_fit_combine, STYPE = portrait.points,
                                                    FINALFUNC = portrait.bgnbd_fit_final);
SELECT is((SELECT pg_temp.bg_merge(st::text::portrait.points)::text
             FROM (SELECT pg_temp.bg_state(x, t_x, t) st FROM cdnow.summary_ref GROUP BY customer_id % 3) s),
          (SELECT portrait.bgnbd_fit(x, t_x, t)::text FROM cdnow.summary_ref),
          'three partial states through text, combined: the same model');
SELECT is((SELECT pg_temp.bg_merge(st::text::portrait.points)::text
             FROM (SELECT pg_temp.bg_state(x, t_x, t, '{"penalizer": 0.01, "unit": "weeks"}') st
                     FROM cdnow.summary_ref GROUP BY customer_id % 3) s),
          (SELECT portrait.bgnbd_fit(x, t_x, t, '{"penalizer": 0.01, "unit": "weeks"}')::text FROM cdnow.summary_ref),
          'partial states with options through text, combined: the same model');

-- ---------- options ----------

SELECT ok((SELECT (p::jsonb->>'log_likelihood')::float8 < (cd.m::jsonb->>'log_likelihood')::float8
                  AND (p::jsonb->>'alpha')::float8 < cd.alpha AND (p::jsonb->>'penalizer')::float8 = 0.01
             FROM cd, (SELECT portrait.bgnbd_fit(x, t_x, t, '{"penalizer": 0.01, "unit": "weeks"}') p
                         FROM cdnow.summary_ref) s),
          'the L2 penalizer shrinks the parameters and costs likelihood');
SELECT ok((SELECT NOT (portrait.bgnbd_fit(x, t_x, t, '{"max_iterations": 2}')::jsonb->>'converged')::bool
             FROM cdnow.summary_ref), 'max_iterations stops early and says it did not converge');
SELECT ok((SELECT abs((n::jsonb->>'r')::float8 / cd.r - 1) <= 1e-6 AND abs((n::jsonb->>'alpha')::float8 / cd.alpha - 1) <= 1e-6
                  AND abs((n::jsonb->>'a')::float8 / cd.a - 1) <= 1e-6 AND abs((n::jsonb->>'b')::float8 / cd.b - 1) <= 1e-6
                  AND (n::jsonb->>'converged')::bool
             FROM cd, (SELECT portrait.bgnbd_fit(x, t_x, t, '{"unit": "weeks", "gradient": "numeric"}') n
                         FROM cdnow.summary_ref) s),
          'finite-difference gradients reach the same fit as the analytic gradient (1e-6)');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(x, t_x, t, '{"penalty": 1}') FROM cdnow.summary_ref$$,
                 '0A000', 'unsupported option "penalty" of bgnbd_fit', 'an unknown option is refused');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(x, t_x, t, '{"penalizer": -1}') FROM cdnow.summary_ref$$,
                 '22023', NULL, 'a negative penalizer is refused');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(x, t_x, t, '{"unit": "years"}') FROM cdnow.summary_ref$$,
                 '22023', NULL, 'an unknown unit is refused');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(x, t_x, t, NULL) FROM cdnow.summary_ref$$,
                 '22004', NULL, 'NULL options are refused');

-- ---------- bad input ----------

SELECT throws_ok($$SELECT portrait.bgnbd_fit(x, tx, tt) FROM (VALUES (1, 5.0, 4.0)) v(x, tx, tt)$$,
                 '22023', 't_x must not exceed T', 'fit: t_x > T');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(x, tx, tt) FROM (VALUES (-1, 5.0, 6.0)) v(x, tx, tt)$$,
                 '22023', NULL, 'fit: negative x');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(x, tx, tt) FROM (VALUES (1, -5.0, 6.0)) v(x, tx, tt)$$,
                 '22023', 't_x and T must not be negative', 'fit: negative t_x');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(x, tx, tt) FROM (VALUES (2, 0.0, 6.0)) v(x, tx, tt)$$,
                 '22023', 'a customer with repeat purchases must have t_x > 0', 'fit: x > 0 with t_x = 0');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(x, tx, tt) FROM (VALUES (1.5, 3.0, 6.0)) v(x, tx, tt)$$,
                 '22023', 'x must be a non-negative integer, not 1.5', 'fit: non-integer x');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(x, tx, tt) FROM (VALUES (1, 'NaN'::float8, 6.0)) v(x, tx, tt)$$,
                 '22000', 't_x must be a finite number, not NaN', 'fit: NaN');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(x, t_x, t) FROM cdnow.summary_ref WHERE customer_id <= 5$$,
                 '22023', 'too few customers to fit a BG/NBD model', 'fit: too few customers');
SELECT is((SELECT (portrait.bgnbd_fit(0, 0, t)::jsonb->>'r')::float8 FROM cdnow.summary_ref), 0::float8,
          'fit: no repeat buyers give the limit r = 0 (test/btyd_limits.sql)');
SELECT throws_ok($$SELECT portrait.p_alive(1, 5, 4, m) FROM cd$$, '22023', 't_x must not exceed T', 'p_alive: t_x > T');
SELECT throws_ok($$SELECT portrait.expected_purchases(m, -1, 1, 2, 4) FROM cd$$, '22023', NULL,
                 'expected_purchases: negative horizon');
SELECT throws_ok($$SELECT portrait.prob_purchases(m, 39, -1) FROM cd$$, '22023', NULL, 'prob_purchases: negative n');
SELECT throws_ok($$SELECT portrait.churn_risk(1, 2, 4, portrait.rfm_breaks(1, 2, 3)) $$,
                 '22023', 'churn_risk expects a bgnbd, mbgnbd or pareto_nbd model, not a rfm model', 'a model of the wrong kind');
SELECT throws_ok($$SELECT '{"kind": "bgnbd", "format": 1, "r": -1, "alpha": 4, "a": 0.8, "b": 2.5}'::portrait.model$$,
                 '22P02', NULL, 'a bgnbd model with a negative parameter is invalid');

SELECT * FROM finish();
ROLLBACK;
