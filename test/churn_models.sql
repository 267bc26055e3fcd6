-- MBG/NBD and Pareto/NBD: CDNOW reference fits (Fader, Hardie & Lee 2005;
-- the lifetimes library's tests), scores against scipy at the same
-- parameters, the holdout comparison, order independence, parallel plans,
-- scoring through churn_risk, clv and lifecycle_stage, and every documented
-- error.
BEGIN;
SELECT plan(76);
SET LOCAL TimeZone = 'Asia/Shanghai';

-- ---------- CDNOW fits (weeks) ----------

CREATE TEMP TABLE cd AS
SELECT portrait.bgnbd_fit(x, t_x, t, '{"unit": "weeks"}') AS bg,
       portrait.mbgnbd_fit(x, t_x, t, '{"unit": "weeks"}') AS mbg,
       portrait.pareto_nbd_fit(x, t_x, t, '{"unit": "weeks"}') AS pnbd
FROM cdnow.summary_ref;
CREATE TEMP TABLE cdj AS SELECT bg::jsonb AS bg, mbg::jsonb AS mbg, pnbd::jsonb AS pnbd FROM cd;

-- lifetimes' ModifiedBetaGeoFitter test: r, alpha, a, b = 0.525, 6.183, 0.891, 1.614 (3 decimals)
SELECT ok((SELECT abs((mbg->>'r')::float8 - 0.525) < 1.5e-3 AND abs((mbg->>'alpha')::float8 - 6.183) < 1.5e-3
              AND abs((mbg->>'a')::float8 - 0.891) < 1.5e-3 AND abs((mbg->>'b')::float8 - 1.614) < 1.5e-3 FROM cdj),
          'MBG/NBD on CDNOW: lifetimes'' parameters to 3 decimals');
-- Fader, Hardie & Lee 2005: r, alpha, s, beta = 0.55, 10.58, 0.61, 11.67; lifetimes: 0.553, 10.578, 0.606, 11.669
SELECT ok((SELECT round((pnbd->>'r')::numeric, 2) = 0.55 AND round((pnbd->>'alpha')::numeric, 2) = 10.58
              AND round((pnbd->>'s')::numeric, 2) = 0.61 AND round((pnbd->>'beta')::numeric, 2) = 11.67 FROM cdj),
          'Pareto/NBD on CDNOW: the published parameters to the printed digits');
SELECT ok((SELECT abs((pnbd->>'r')::float8 - 0.553) < 1.5e-3 AND abs((pnbd->>'alpha')::float8 - 10.578) < 1.5e-3
              AND abs((pnbd->>'s')::float8 - 0.606) < 1.5e-3 AND abs((pnbd->>'beta')::float8 - 11.669) < 1.5e-3 FROM cdj),
          'Pareto/NBD on CDNOW: lifetimes'' parameters to 3 decimals');
-- Fader & Hardie's notes: LL = -9594.98 at the rounded published parameters; the maximum is at least that
SELECT ok((SELECT (pnbd->>'log_likelihood')::float8 BETWEEN -9594.985 AND -9594.97 FROM cdj),
          'Pareto/NBD log-likelihood -9594.97, within 0.01 of the published -9594.98 and above it');
-- from the transactions, with exact weeks (the summary file rounds t_x and T to 2 decimals)
SELECT ok((SELECT round((m->>'log_likelihood')::numeric, 2) = -9594.98 AND round((m->>'beta')::numeric, 3) = 11.669
              AND round((m->>'r')::numeric, 3) = 0.553 AND round((m->>'alpha')::numeric, 3) = 10.578 AND round((m->>'s')::numeric, 3) = 0.606
             FROM (SELECT portrait.pareto_nbd_fit(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0, '{"unit": "weeks"}')::jsonb AS m
                   FROM (SELECT (portrait.rfm_summary(ordered_on, amount, date '1997-09-30')
                                 FILTER (WHERE ordered_on <= date '1997-09-30')).* FROM cdnow.transactions GROUP BY customer_id) s) f),
          'Pareto/NBD from the CDNOW transactions in exact weeks: log-likelihood -9594.98 and lifetimes'' parameters, all printed digits');
SELECT ok((SELECT abs(sum(portrait.btyd_loglik(x, t_x, t, '{"kind": "pareto_nbd", "format": 1, "r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}')) + 9594.98) < 0.05
             FROM cdnow.summary_ref), 'Pareto/NBD log-likelihood at the 2-decimal published parameters (-9595.01) within 0.05 of the published -9594.98');
SELECT ok((SELECT (mbg->>'converged')::bool AND (pnbd->>'converged')::bool AND mbg->>'unit' = 'weeks' AND (pnbd->>'n')::int = 2357 FROM cdj),
          'both fits converge and report unit and n');

-- against scipy's maximum of the same likelihoods (test/data/churn/make_reference.py)
SELECT ok((SELECT abs((j->>'r')::float8 / f.r - 1) < 1e-6 AND abs((j->>'alpha')::float8 / f.alpha - 1) < 1e-6
              AND abs((j->>'a')::float8 / f.a_or_s - 1) < 1e-6 AND abs((j->>'b')::float8 / f.b_or_beta - 1) < 1e-6
              AND abs((j->>'log_likelihood')::float8 - f.log_likelihood) < 1e-7
             FROM cdj, churn_ref.fit f, LATERAL (SELECT cdj.mbg AS j) s WHERE f.model = 'mbgnbd'),
          'MBG/NBD parameters equal scipy''s to 1e-6, log-likelihood to 1e-7');
SELECT ok((SELECT abs((j->>'r')::float8 / f.r - 1) < 1e-6 AND abs((j->>'alpha')::float8 / f.alpha - 1) < 1e-6
              AND abs((j->>'s')::float8 / f.a_or_s - 1) < 1e-6 AND abs((j->>'beta')::float8 / f.b_or_beta - 1) < 1e-6
              AND abs((j->>'log_likelihood')::float8 - f.log_likelihood) < 1e-7
             FROM cdj, churn_ref.fit f, LATERAL (SELECT cdj.pnbd AS j) s WHERE f.model = 'pareto_nbd'),
          'Pareto/NBD parameters equal scipy''s to 1e-6, log-likelihood to 1e-7');
-- BG/NBD unchanged by the shared driver
SELECT ok((SELECT abs((bg->>'log_likelihood')::float8 - log_likelihood) < 1e-9 FROM cdj, bgnbd_ref.cdnow_fit),
          'BG/NBD log-likelihood is the stored reference');

-- ---------- scores at scipy's parameters ----------

CREATE TEMP TABLE refm AS
SELECT model, format('{"kind": "%s", "format": 1, "r": %s, "alpha": %s, "%s": %s, "%s": %s, "unit": "weeks"}',
                     model, r, alpha, CASE model WHEN 'mbgnbd' THEN 'a' ELSE 's' END, a_or_s,
                     CASE model WHEN 'mbgnbd' THEN 'b' ELSE 'beta' END, b_or_beta)::portrait.model AS m
FROM churn_ref.fit;
SELECT ok((SELECT bool_and(abs(portrait.p_alive(s.x, s.t_x, s."T", r.m) / s.p_alive - 1) < 1e-10)
             FROM churn_ref.score s JOIN refm r USING (model) WHERE s.model = 'mbgnbd'),
          'MBG/NBD p_alive equals scipy''s to 1e-10 (8 customers)');
SELECT ok((SELECT bool_and(abs(portrait.p_alive(s.x, s.t_x, s."T", r.m) / s.p_alive - 1) < 1e-10)
             FROM churn_ref.score s JOIN refm r USING (model) WHERE s.model = 'pareto_nbd'),
          'Pareto/NBD p_alive equals scipy''s to 1e-10 (8 customers)');
SELECT ok((SELECT bool_and(abs(portrait.expected_purchases(r.m, s.t, s.x, s.t_x, s."T") / s.expected - 1) < 1e-10)
             FROM churn_ref.score s JOIN refm r USING (model) WHERE s.model = 'mbgnbd'),
          'MBG/NBD conditional expected purchases equal scipy''s to 1e-10');
SELECT ok((SELECT bool_and(abs(portrait.expected_purchases(r.m, s.t, s.x, s.t_x, s."T") / s.expected - 1) < 1e-10)
             FROM churn_ref.score s JOIN refm r USING (model) WHERE s.model = 'pareto_nbd'),
          'Pareto/NBD conditional expected purchases equal scipy''s to 1e-10');
SELECT ok((SELECT bool_and(abs(portrait.expected_purchases(r.m, n.t) / n.expected - 1) < 1e-10)
             FROM churn_ref.new n JOIN refm r USING (model)),
          'expected purchases of a new customer equal scipy''s to 1e-10 (both models, 7 horizons)');
SELECT ok((SELECT bool_and(abs(portrait.churn_risk(s.x, s.t_x, s."T", r.m) - (1 - s.p_alive)) < 1e-12)
             FROM churn_ref.score s JOIN refm r USING (model)),
          'churn_risk is 1 - p_alive for both models');

-- ---------- lifetimes' tests ----------

SELECT ok((SELECT abs(portrait.expected_purchases(mbg, 39, 2, 30.43, 38.86) - 1.226) < 0.05 FROM cd),
          'MBG/NBD E[Y(39) | 2, 30.43, 38.86] within 0.05 of Hardie''s 1.226 (lifetimes)');
SELECT ok((SELECT bool_and(abs(portrait.expected_purchases(mbg, t) / e - 1) < 0.05)
             FROM cd, (VALUES (0.1429, 0.0078), (1.0, 0.0532), (3.0, 0.1506), (31.8571, 1.0405), (32.0, 1.0437), (78.0, 1.8576)) v(t, e)),
          'MBG/NBD E[X(t)] within 5% of Hardie''s sheet (lifetimes)');
SELECT ok((SELECT portrait.p_alive(0, 0, 1, mbg) < 1 FROM cd), 'MBG/NBD: P(alive) < 1 without repeat purchases');
SELECT ok((SELECT portrait.p_alive(0, 0, 1, pnbd) < 1 FROM cd), 'Pareto/NBD: P(alive) < 1 without repeat purchases');
SELECT ok((SELECT bool_and(p BETWEEN 0 AND 1) FROM cd,
             LATERAL (SELECT portrait.p_alive(x, CASE WHEN x = 0 THEN 0 ELSE greatest(t_x, 1) END, greatest(t, greatest(t_x, 1)), m) AS p
                      FROM generate_series(0, 90, 10) x, generate_series(0, 90, 10) t_x, generate_series(0, 90, 10) t,
                           (VALUES (cd.mbg), (cd.pnbd)) mm(m) WHERE t >= t_x) s),
          'P(alive) between 0 and 1 on lifetimes'' grid (both models)');
SELECT ok((SELECT bool_and(abs(portrait.btyd_loglik(x, t_x, "T", format('{"kind": "pareto_nbd", "format": 1, "r": %s, "alpha": %s, "s": %s, "beta": %s}',
                                                                    r, alpha, s, beta)::portrait.model) - log_likelihood) < 1e-11 * greatest(1, abs(log_likelihood)))
             FROM churn_ref.loglik),
          'Pareto/NBD log-likelihood equals numerical integration to 1e-11 (lifetimes'' overflow case, alpha > beta, alpha < beta)');
SELECT ok((SELECT (m1::jsonb->>'r')::float8 + (m1::jsonb->>'alpha')::float8 + (m1::jsonb->>'a')::float8 + (m1::jsonb->>'b')::float8
                  < (mbg::jsonb->>'r')::float8 + (mbg::jsonb->>'alpha')::float8 + (mbg::jsonb->>'a')::float8 + (mbg::jsonb->>'b')::float8
             FROM cd, (SELECT portrait.mbgnbd_fit(x, t_x, t, '{"unit": "weeks", "penalizer": 0.1}') AS m1 FROM cdnow.summary_ref) p),
          'MBG/NBD: a penalizer shrinks the parameters');
SELECT ok((SELECT (m1::jsonb->>'alpha')::float8 < (pnbd::jsonb->>'alpha')::float8
             FROM cd, (SELECT portrait.pareto_nbd_fit(x, t_x, t, '{"unit": "weeks", "penalizer": 0.1}') AS m1 FROM cdnow.summary_ref) p),
          'Pareto/NBD: a penalizer shrinks the parameters');
SELECT ok((SELECT abs(sum(portrait.btyd_loglik(x, t_x, t, cd.mbg)) - (SELECT (mbg->>'log_likelihood')::float8 FROM cdj)) < 1e-8
             FROM cdnow.summary_ref, cd), 'btyd_loglik sums to the MBG/NBD model''s log-likelihood');
SELECT ok((SELECT sum(portrait.btyd_loglik(x, t_x, t, bg)) - sum(portrait.bgnbd_loglik(x, t_x, t, bg)) = 0
             FROM cdnow.summary_ref, cd), 'btyd_loglik equals bgnbd_loglik for a bgnbd model');

-- ---------- what a one-time buyer gets ----------

SELECT ok((SELECT portrait.churn_risk(0, 0, 10, mbg) < portrait.churn_risk(0, 0, 30, mbg)
              AND portrait.churn_risk(0, 0, 30, mbg) < portrait.churn_risk(0, 0, 60, mbg) FROM cd),
          'MBG/NBD: churn risk of a one-time buyer grows with the time since her purchase');
SELECT ok((SELECT portrait.churn_risk(0, 0, 10, pnbd) < portrait.churn_risk(0, 0, 30, pnbd)
              AND portrait.churn_risk(0, 0, 30, pnbd) < portrait.churn_risk(0, 0, 60, pnbd) FROM cd),
          'Pareto/NBD: churn risk of a one-time buyer grows with the time since her purchase');
SELECT ok((SELECT portrait.churn_risk(0, 0, 60, bg) = 0 FROM cd), 'BG/NBD: a one-time buyer has churn risk 0 (why the new models)');
SELECT ok((SELECT portrait.churn_risk(0, 0, 70, pnbd) > portrait.churn_risk(5, 65, 70, pnbd) FROM cd),
          'Pareto/NBD: a lapsed one-time buyer is more at risk than a recent regular');
SELECT ok((SELECT abs(portrait.expected_purchases(mbg, 0.5, 0, 0, 0) - portrait.expected_purchases(mbg, 0.5)) < 1e-15
              AND abs(portrait.expected_purchases(pnbd, 0.5, 0, 0, 0) - portrait.expected_purchases(pnbd, 0.5)) < 1e-15 FROM cd),
          'expected_purchases(model, t) is the conditional form at x = t_x = T = 0');
SELECT ok((SELECT abs(portrait.expected_purchases('{"kind": "pareto_nbd", "format": 1, "r": 0.5, "alpha": 10, "s": 1, "beta": 12}', 20)
                  - 0.5 * 12 / 10 * ln(1 + 20 / 12.0)) < 1e-14),
          'Pareto/NBD E[X(t)] at s = 1 is the limit r beta / alpha ln(1 + t/beta)');
SELECT ok((SELECT abs(sum(portrait.prob_purchases(mbg, 39, n)) - 1) < 1e-9 FROM cd, generate_series(0, 400) n),
          'MBG/NBD P(X(39) = n) sums to 1');
SELECT ok((SELECT abs(sum(n * portrait.prob_purchases(mbg, 39, n)) / (SELECT portrait.expected_purchases(mbg, 39) FROM cd) - 1) < 1e-9
             FROM cd, generate_series(0, 400) n), 'MBG/NBD P(X(t) = n) has the mean E[X(t)]');

-- ---------- clv and lifecycle with the new models ----------

CREATE TEMP TABLE gg AS SELECT portrait.gamma_gamma_fit(x, zbar) AS m FROM cdnow.summary_ref;
SELECT ok((SELECT portrait.clv(mbg, gg.m, 2, 30.43, 38.86, 40) > 0 AND portrait.clv(pnbd, gg.m, 2, 30.43, 38.86, 40) > 0 FROM cd, gg),
          'clv takes MBG/NBD and Pareto/NBD models');
SELECT ok((SELECT abs(portrait.clv(pnbd, gg.m, 2, 30.43, 38.86, 40, 12, 0)
                  - portrait.expected_avg_value(gg.m, 2, 40) * portrait.expected_purchases(pnbd, 12 * 4.345, 2, 30.43, 38.86)) < 1e-9 FROM cd, gg),
          'undiscounted clv is expected value times expected purchases (Pareto/NBD)');
SELECT is((SELECT portrait.lifecycle_stage(1000, 1000, 0, 0, NULL, '{"mode": "rhythm", "model_unit_days": 7}', pnbd) FROM cd),
          'churned', 'lifecycle_stage: a one-time buyer 1000 days ago is churned under Pareto/NBD');
SELECT is((SELECT array_agg(portrait.lifecycle_stage(d, d, 0, 0, NULL, '{"mode": "rhythm", "model_unit_days": 7}', m) ORDER BY i)
             FROM cd, LATERAL (VALUES (1, cd.mbg, 1000), (2, cd.pnbd, 1000), (3, cd.mbg, 1000)) v(i, m, d)),
          ARRAY['at_risk', 'churned', 'at_risk'], 'lifecycle_stage scores each row with its own model (PL/pgSQL keeps no stale model)');
SELECT is((SELECT portrait.lifecycle_stage(7, 7, 0, 0, NULL, '{"mode": "rhythm", "model_unit_days": 7}', pnbd) FROM cd),
          'new', 'lifecycle_stage: a one-time buyer of last week is new under Pareto/NBD');
SELECT is((SELECT portrait.lifecycle_stage(300, 300, 0, 0, NULL, '{"mode": "rhythm", "model_unit_days": 7}', bg) FROM cd),
          'dormant', 'lifecycle_stage: with a bgnbd model one-time buyers keep the day thresholds');

-- ---------- the holdout comparison ----------

CREATE TEMP TABLE split AS
SELECT customer_id,
       (portrait.rfm_summary(ordered_on, amount, date '1997-09-30') FILTER (WHERE ordered_on <= date '1997-09-30')).*,
       count(DISTINCT ordered_on) FILTER (WHERE ordered_on > date '1997-09-30') AS x_holdout
FROM cdnow.transactions GROUP BY customer_id;
CREATE TEMP TABLE rep AS
SELECT portrait.btyd_compare(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0, x_holdout, 39, '{"unit": "weeks"}') AS r
FROM split;
CREATE TEMP TABLE fits AS SELECT m.* FROM rep, portrait.btyd_compare_models(r) m;
SELECT is((SELECT array_agg(model ORDER BY model) FROM rep, portrait.btyd_compare_models(r)), ARRAY['bgnbd', 'mbgnbd', 'pareto_nbd'],
          'btyd_compare reports the three models');
SELECT is((SELECT array_agg(frequency) FROM rep, portrait.btyd_compare_by_frequency(r)), ARRAY['0', '1', '2', '3', '4', '5', '6', '7+'],
          'btyd_compare: the frequency table 0 .. 7+');
SELECT is((SELECT sum(customers)::int FROM rep, portrait.btyd_compare_by_frequency(r)), 2357, 'the table counts every customer');
SELECT is((SELECT sum(customers * actual)::int FROM rep, portrait.btyd_compare_by_frequency(r)),
          (SELECT sum(x_holdout)::int FROM split), 'actual holdout purchases add up');
SELECT ok((SELECT bool_and(abs(customers * f.bgnbd - e.s) < 1e-6 * e.s) FROM rep, portrait.btyd_compare_by_frequency(r) f,
             LATERAL (SELECT sum(portrait.expected_purchases(m.fit, 39, repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0)) AS s
                      FROM split, fits m
                      WHERE m.model = 'bgnbd' AND (least(repeat_frequency, 7)::text || CASE WHEN repeat_frequency >= 7 THEN '+' ELSE '' END) = f.frequency) e),
          'expected holdout purchases by frequency are the sums of expected_purchases under the fitted model');
SELECT ok((SELECT abs(m.mae - (SELECT avg(abs(portrait.expected_purchases(m.fit, 39, repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0) - x_holdout)) FROM split)) < 1e-9
              AND abs(m.rmse - (SELECT sqrt(avg((portrait.expected_purchases(m.fit, 39, repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0) - x_holdout) ^ 2)) FROM split)) < 1e-9
             FROM fits m WHERE m.model = 'pareto_nbd'),
          'MAE and RMSE are per customer');
SELECT ok((SELECT bool_and(abs(aic - (8 - 2 * log_likelihood)) < 1e-9 AND abs(bic - (4 * ln(2357) - 2 * log_likelihood)) < 1e-9)
             FROM rep, portrait.btyd_compare_models(r)), 'AIC and BIC of four parameters');
SELECT ok((SELECT abs(m.log_likelihood - (SELECT sum(portrait.btyd_loglik(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0, m.fit)) FROM split)) < 1e-7
             FROM fits m WHERE m.model = 'mbgnbd'), 'the reported fit is the model of the log-likelihood');
SELECT is((SELECT r->>'best_bic' FROM rep), (SELECT model FROM rep, portrait.btyd_compare_models(r) ORDER BY bic LIMIT 1),
          'best_bic names the model of the lowest BIC');
SELECT is((SELECT r->>'best_rmse' FROM rep), (SELECT model FROM rep, portrait.btyd_compare_models(r) ORDER BY rmse LIMIT 1),
          'best_rmse names the model of the lowest holdout RMSE');
SELECT is((SELECT r->>'best' FROM rep), 'pareto_nbd', 'CDNOW: the pick is Pareto/NBD (best MAE and RMSE; MBG/NBD has the best BIC)');
SELECT is((SELECT portrait.btyd_compare(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0, x_holdout, 39, '{"unit": "weeks"}')
             FROM (SELECT * FROM split ORDER BY md5(customer_id::text)) s), (SELECT r FROM rep),
          'btyd_compare does not depend on the row order');

-- ---------- order, NULLs, parallel plans, text ----------

CREATE TABLE churn_days AS
SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31')).*
FROM demo.orders GROUP BY customer_id;
CREATE TEMP TABLE serial AS
SELECT portrait.mbgnbd_fit(repeat_frequency, repeat_span_days, tenure_days) AS mbg,
       portrait.pareto_nbd_fit(repeat_frequency, repeat_span_days, tenure_days) AS pnbd FROM churn_days;
SELECT is((SELECT portrait.mbgnbd_fit(f, s, t)::text || portrait.pareto_nbd_fit(f, s, t)::text
             FROM (SELECT repeat_frequency f, repeat_span_days s, tenure_days t FROM churn_days
                   UNION ALL SELECT NULL, 1, 2 ORDER BY 1 DESC, 2, 3) s),
          (SELECT mbg::text || pnbd::text FROM serial), 'row order and NULL rows do not change the models');
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of('SELECT portrait.pareto_nbd_fit(repeat_frequency, repeat_span_days, tenure_days) FROM churn_days'),
               'Partial Aggregate', 'pareto_nbd_fit runs as a partial aggregate in parallel workers');
SELECT is((SELECT portrait.mbgnbd_fit(repeat_frequency, repeat_span_days, tenure_days)::text || portrait.pareto_nbd_fit(repeat_frequency, repeat_span_days, tenure_days)::text FROM churn_days),
          (SELECT mbg::text || pnbd::text FROM serial), 'parallel fits give the identical models');
SELECT is((SELECT portrait.btyd_compare(repeat_frequency, repeat_span_days, tenure_days, least(repeat_frequency, 3), 30) FROM churn_days),
          (SELECT portrait.btyd_compare(repeat_frequency, repeat_span_days, tenure_days, least(repeat_frequency, 3), 30)
             FROM (SELECT * FROM churn_days ORDER BY customer_id LIMIT 100000) s),
          'parallel btyd_compare gives the serial report');
CALL test_helpers.reset_parallel();
-- partial states moved as text (what Citus does between nodes)
CREATE AGGREGATE pg_temp.pnbd_state(float8, float8, float8) (SFUNC = portrait.pareto_nbd_fit_trans, STYPE = portrait.points);
CREATE AGGREGATE pg_temp.pnbd_merge(portrait.points) (SFUNC = portrait.bgnbd_fit_combine, STYPE = portrait.points,
                                                      FINALFUNC = portrait.pareto_nbd_fit_final);
SELECT is((SELECT pg_temp.pnbd_merge(st::text::portrait.points)::text
             FROM (SELECT pg_temp.pnbd_state(x, t_x, t) st FROM cdnow.summary_ref GROUP BY customer_id % 3) s),
          (SELECT portrait.pareto_nbd_fit(x, t_x, t)::text FROM cdnow.summary_ref),
          'pareto_nbd_fit: three partial states through text, combined: the same model');
SELECT is((SELECT mbg::text::portrait.model::text || pnbd::text::portrait.model::text FROM cd), (SELECT mbg::text || pnbd::text FROM cd),
          'mbgnbd and pareto_nbd models read back from their text');
SELECT is((SELECT portrait.model_kind(mbg) || ' ' || portrait.model_kind(pnbd) FROM cd), 'mbgnbd pareto_nbd', 'model_kind');
SELECT ok((SELECT (portrait.mbgnbd_fit(x, t_x, t, '{"unit": "weeks", "max_iterations": 2}')::jsonb->>'converged')::bool = false
              AND (portrait.pareto_nbd_fit(x, t_x, t, '{"unit": "weeks", "max_iterations": 2}')::jsonb->>'converged')::bool = false
             FROM cdnow.summary_ref), 'a fit stopped by max_iterations is reported as not converged');
SELECT ok((SELECT portrait.mbgnbd_fit(x, t_x, t) IS NULL AND portrait.pareto_nbd_fit(x, t_x, t) IS NULL FROM cdnow.summary_ref WHERE false),
          'no rows: NULL model');

-- ---------- errors ----------

SELECT throws_ok($$SELECT portrait.mbgnbd_fit(x, 0, 5) FROM generate_series(1, 20) x$$, '22023',
                 'a customer with repeat purchases must have t_x > 0', 'mbgnbd_fit: x > 0 with t_x = 0');
SELECT throws_ok($$SELECT portrait.pareto_nbd_fit(-1, 0, 5)$$, '22023', NULL, 'pareto_nbd_fit: negative x');
SELECT throws_ok($$SELECT portrait.pareto_nbd_fit(2, 6, 5)$$, '22023', 't_x must not exceed T', 'pareto_nbd_fit: t_x > T');
SELECT throws_ok($$SELECT portrait.mbgnbd_fit(1, -1, 5)$$, '22023', 't_x and T must not be negative', 'mbgnbd_fit: negative t_x');
SELECT throws_ok($$SELECT portrait.pareto_nbd_fit(1, 'NaN', 5)$$, '22000', NULL, 'pareto_nbd_fit: NaN');
SELECT throws_ok($$SELECT portrait.mbgnbd_fit(0, 0, 5) FROM generate_series(1, 20)$$, '22000',
                 'an MBG/NBD fit has no limit on data without repeat purchases', 'mbgnbd_fit: all x = 0');
SELECT throws_ok($$SELECT portrait.pareto_nbd_fit(0, 0, 5) FROM generate_series(1, 20)$$, '22000',
                 'a Pareto/NBD fit has no limit on data without repeat purchases', 'pareto_nbd_fit: all x = 0');
SELECT throws_ok($$SELECT portrait.pareto_nbd_fit(x, t_x, t, '{"speed": 1}') FROM cdnow.summary_ref$$, '0A000', NULL,
                 'pareto_nbd_fit: an unknown option');
SELECT throws_ok($$SELECT portrait.mbgnbd_fit(x, t_x, t, NULL) FROM cdnow.summary_ref$$, '22004', NULL, 'mbgnbd_fit: NULL options');
SELECT throws_ok($$SELECT '{"kind": "pareto_nbd", "format": 1, "r": 1, "alpha": 1, "s": 0, "beta": 1}'::portrait.model$$, '22P02',
                 'invalid portrait.model', 'a pareto_nbd model with s = 0');
SELECT throws_ok($$SELECT portrait.prob_purchases(pnbd, 10, 1) FROM cd$$, '0A000',
                 'prob_purchases is not available for pareto_nbd models', 'prob_purchases of a Pareto/NBD model');
SELECT throws_ok($$SELECT portrait.btyd_loglik(1, 1, 2, gg.m) FROM gg$$, '22023',
                 'btyd_loglik expects a bgnbd, mbgnbd or pareto_nbd model, not a gamma_gamma model', 'btyd_loglik: a model of the wrong kind');
SELECT throws_ok($$SELECT portrait.btyd_compare(x, t_x, t, 1, -1) FROM cdnow.summary_ref$$, '22023',
                 'holdout_length must not be negative, not -1', 'btyd_compare: negative holdout length');
SELECT throws_ok($$SELECT portrait.btyd_compare(x, t_x, t, 1.5, 39) FROM cdnow.summary_ref$$, '22023', NULL,
                 'btyd_compare: x_holdout not a count');
SELECT throws_ok($$SELECT portrait.btyd_compare(x, t_x, t, 1, 39, '{"mode": 1}') FROM cdnow.summary_ref$$, '0A000', NULL,
                 'btyd_compare: an unknown option');

SELECT * FROM finish();
ROLLBACK;
