-- Gamma-Gamma and CLV: CDNOW reference, properties, parallel plans and errors.
BEGIN;
SELECT plan(37);

CREATE TEMP TABLE gg AS SELECT portrait.gamma_gamma_fit(x, zbar) AS m FROM cdnow.summary_ref;
CREATE TEMP TABLE ggp AS
SELECT (m::jsonb->>'p')::float8 AS p, (m::jsonb->>'q')::float8 AS q, (m::jsonb->>'gamma')::float8 AS g, m FROM gg;
CREATE TEMP TABLE bg AS SELECT portrait.bgnbd_fit(x, t_x, t, '{"unit": "weeks"}') AS m FROM cdnow.summary_ref;

-- ---------- CDNOW (946 repeat buyers) ----------

-- The published fit used the exact mean spend; the summary file rounds zbar to cents, which moves
-- gamma from 15.4435 to 15.4477.  So: the published digits from the exact averages (rfm_summary of
-- the raw transactions), and the rounded file against scipy on the same file.
CREATE TEMP TABLE exact AS
SELECT customer_id, (portrait.rfm_summary(ordered_on, amount, date '1997-09-30')).*
FROM cdnow.transactions WHERE ordered_on <= date '1997-09-30' GROUP BY customer_id;
CREATE TEMP TABLE gge AS SELECT portrait.gamma_gamma_fit(repeat_frequency, repeat_avg_value) AS m FROM exact;
SELECT is((SELECT round((m::jsonb->>'p')::numeric, 2) FROM gge), 6.25, 'CDNOW: p = 6.25 as published');
SELECT is((SELECT round((m::jsonb->>'q')::numeric, 2) FROM gge), 3.74, 'CDNOW: q = 3.74 as published');
SELECT is((SELECT round((m::jsonb->>'gamma')::numeric, 2) FROM gge), 15.44, 'CDNOW: gamma = 15.44 as published');
SELECT ok((SELECT bool_and(abs(portrait.expected_avg_value(gge.m, s.repeat_frequency, s.repeat_avg_value) - p.v) <= 0.005)
             FROM gge, exact s
             JOIN (VALUES (1, 24.65), (2, 18.91), (3, 35.17), (4, 35.17), (5, 35.17), (6, 71.46), (7, 18.91),
                          (8, 35.17), (9, 27.28), (10, 35.17)) p(id, v) ON p.id = s.customer_id),
          'CDNOW: E[M] of the first ten customers as published (exact averages, to their digits: within 0.005)');
SELECT is((SELECT round(p::numeric, 2) FROM ggp), 6.25, 'CDNOW, rounded zbar: p = 6.25');
SELECT is((SELECT round(q::numeric, 2) FROM ggp), 3.74, 'CDNOW, rounded zbar: q = 3.74');
SELECT ok((SELECT abs(g - 15.44) <= 0.01 FROM ggp), 'CDNOW, rounded zbar: gamma within 0.01 of 15.44');
SELECT ok((SELECT abs(ggp.p / f.p - 1) <= 1e-5 AND abs(ggp.q / f.q - 1) <= 1e-5 AND abs(ggp.g / f.gamma - 1) <= 1e-5
                  AND abs((ggp.m::jsonb->>'log_likelihood')::float8 - f.log_likelihood) <= 1e-6
             FROM ggp, bgnbd_ref.gamma_gamma_fit f), 'CDNOW: p, q, gamma equal scipy''s fit within 1e-5 relative');
SELECT ok((SELECT (m::jsonb->>'n')::int = 946 AND (m::jsonb->>'skipped')::int = 1411 AND (m::jsonb->>'converged')::bool
             FROM gg), 'CDNOW: 946 repeat buyers used, 1,411 skipped, converged');
SELECT ok((SELECT bool_and(abs(portrait.expected_avg_value(gg.m, s.x, s.zbar) - p.v) <= 0.1)
             FROM gg, cdnow.summary_ref s
             JOIN (VALUES (1, 24.65), (2, 18.91), (3, 35.17), (4, 35.17), (5, 35.17), (6, 71.46), (7, 18.91),
                          (8, 35.17), (9, 27.28), (10, 35.17)) p(id, v) ON p.id = s.customer_id),
          'CDNOW, rounded zbar: E[M] of the first ten customers as published (within 0.1)');
SELECT ok((SELECT bool_and(abs(portrait.expected_avg_value(gg.m, s.x, s.zbar) / c.expected_avg_value - 1) <= 1e-5)
             FROM gg, cdnow.summary_ref s JOIN bgnbd_ref.clv c USING (customer_id)),
          'CDNOW: E[M] equals the reference script within 1e-5 relative');
SELECT ok((SELECT bool_and(abs(portrait.clv(bg.m, gg.m, s.x, s.t_x, s.t, s.zbar) / c.clv - 1) <= 1e-5)
             FROM bg, gg, cdnow.summary_ref s JOIN bgnbd_ref.clv c USING (customer_id)),
          'CDNOW: 12-month CLV at 1% a month equals the reference script within 1e-5 relative');

-- ---------- properties ----------

SELECT ok((SELECT abs(portrait.expected_avg_value(m, 0, 123) - p * g / (q - 1)) <= 1e-12 FROM ggp),
          'without repeat purchases E[M] is the population mean');
SELECT ok((SELECT portrait.expected_avg_value(m, 50, 100) BETWEEN 99 AND 100 FROM ggp),
          'many repeat purchases: E[M] close to the customer''s own average');
SELECT ok((SELECT abs(portrait.clv(bg.m, gg.m, 2, 30.43, 38.86, 22.35, 6, 0)
                      - portrait.expected_avg_value(gg.m, 2, 22.35) * portrait.expected_purchases(bg.m, 6 * 4.345, 2, 30.43, 38.86))
                  <= 1e-9 FROM bg, gg), 'undiscounted CLV = E[M] times the expected purchases of the horizon');
SELECT ok((SELECT portrait.clv(bg.m, gg.m, 2, 30.43, 38.86, 22.35, 12, 0.05) < portrait.clv(bg.m, gg.m, 2, 30.43, 38.86, 22.35)
             FROM bg, gg), 'a higher discount rate lowers CLV');
SELECT is((SELECT portrait.clv(bg.m, gg.m, 2, 30.43, 38.86, 22.35, 0) FROM bg, gg), 0::float8, 'CLV over 0 months is 0');
-- the same model in days (alpha scales with the unit): a month is 30 days there
CREATE TEMP TABLE bg_days AS
SELECT (m::jsonb || jsonb_build_object('unit', 'days', 'alpha', (m::jsonb->>'alpha')::float8 * 7))::text::portrait.model AS m FROM bg;
SELECT ok((SELECT abs(portrait.clv(d.m, gg.m, 2, 30.43 * 7, 38.86 * 7, 22.35, 6, 0)
                      - portrait.expected_avg_value(gg.m, 2, 22.35) * portrait.expected_purchases(d.m, 180, 2, 30.43 * 7, 38.86 * 7))
                  <= 1e-9 FROM bg_days d, gg), 'CLV follows the model''s unit: a month is 30 days in a days model');
SELECT is((SELECT m::text::portrait.model::text FROM gg), (SELECT m::text FROM gg), 'a gamma_gamma model reads back from its text');
SELECT ok((SELECT portrait.gamma_gamma_fit(x, zbar) FROM cdnow.summary_ref WHERE false) IS NULL, 'no rows: NULL model');
SELECT is((SELECT portrait.gamma_gamma_fit(x, zbar)::text FROM (SELECT * FROM cdnow.summary_ref ORDER BY md5(customer_id::text)) s),
          (SELECT m::text FROM gg), 'row order does not change the model');
SELECT ok((SELECT abs((n::jsonb->>'p')::float8 / ggp.p - 1) <= 1e-6 AND abs((n::jsonb->>'q')::float8 / ggp.q - 1) <= 1e-6
                  AND abs((n::jsonb->>'gamma')::float8 / ggp.g - 1) <= 1e-6
             FROM ggp, (SELECT portrait.gamma_gamma_fit(x, zbar, '{"gradient": "numeric"}') n FROM cdnow.summary_ref) s),
          'finite-difference gradients reach the same fit as the analytic gradient (1e-6)');
SELECT ok((SELECT (portrait.gamma_gamma_fit(x, zbar, '{"penalizer": 0.01}')::jsonb->>'p')::float8 < p
             FROM cdnow.summary_ref, ggp GROUP BY p), 'the penalizer shrinks the parameters');

-- ---------- parallel plans ----------

-- a plain table: temporary tables are never scanned by parallel workers
CREATE TABLE gg_days AS SELECT * FROM cdnow.summary_ref, generate_series(1, 20) copy;
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of('SELECT portrait.gamma_gamma_fit(x, zbar) FROM gg_days'), 'Partial Aggregate',
               'gamma_gamma_fit runs as a partial aggregate in parallel workers');
CREATE TEMP TABLE par AS SELECT portrait.gamma_gamma_fit(x, zbar)::text AS m FROM gg_days;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT is((SELECT m FROM par), (SELECT portrait.gamma_gamma_fit(x, zbar)::text FROM gg_days),
          'parallel gamma_gamma_fit gives the identical model');
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT is((SELECT portrait.bgnbd_fit(x, t_x, t, '{"unit": "weeks"}')::text FROM gg_days),
          (SELECT portrait.bgnbd_fit(x, t_x, t, '{"unit": "weeks"}')::text FROM (SELECT * FROM gg_days ORDER BY customer_id OFFSET 0) s),
          'parallel bgnbd_fit with options equals the fit of sorted rows');
CALL test_helpers.reset_parallel();

-- ---------- bad input ----------

SELECT throws_ok($$SELECT portrait.gamma_gamma_fit(x, m) FROM (VALUES (1.5, 10.0)) v(x, m)$$,
                 '22023', 'x must be a non-negative integer, not 1.5', 'fit: non-integer x');
SELECT throws_ok($$SELECT portrait.gamma_gamma_fit(x, m) FROM (VALUES (-2, 10.0)) v(x, m)$$,
                 '22023', NULL, 'fit: negative x');
SELECT throws_ok($$SELECT portrait.gamma_gamma_fit(x, m) FROM (VALUES (2, -10.0)) v(x, m)$$,
                 '22023', NULL, 'fit: negative value of a repeat buyer');
SELECT throws_ok($$SELECT portrait.gamma_gamma_fit(x, m) FROM (VALUES (2, 'NaN'::float8)) v(x, m)$$,
                 '22000', 'avg_value must be a finite number, not NaN', 'fit: NaN');
SELECT throws_ok($$SELECT portrait.gamma_gamma_fit(x, zbar) FROM cdnow.summary_ref WHERE customer_id <= 12$$,
                 '22023', 'too few repeat buyers to fit a Gamma-Gamma model', 'fit: too few repeat buyers');
SELECT throws_ok($$SELECT portrait.gamma_gamma_fit(x, zbar, '{"unit": "weeks"}') FROM cdnow.summary_ref$$,
                 '0A000', NULL, 'fit: unit is not an option of the spend model');
SELECT throws_ok($$SELECT portrait.expected_avg_value(m, 2, 10) FROM bg$$,
                 '22023', 'expected_avg_value expects a gamma_gamma model, not a bgnbd model', 'a model of the wrong kind');
SELECT throws_ok($$SELECT portrait.clv(gg.m, bg.m, 2, 3, 4, 10) FROM bg, gg$$,
                 '22023', 'clv expects a bgnbd, mbgnbd or pareto_nbd model, not a gamma_gamma model', 'clv: models swapped');
SELECT throws_ok($$SELECT portrait.expected_avg_value('{"kind": "gamma_gamma", "format": 1, "p": 2, "q": 0.9, "gamma": 5}', 2, 10)$$,
                 '22023', NULL, 'q <= 1: no finite mean spend');
SELECT throws_ok($$SELECT portrait.clv(bg.m, gg.m, 2, 3, 4, 10, -1) FROM bg, gg$$, '22023', NULL, 'clv: negative months');
SELECT throws_ok($$SELECT portrait.clv(bg.m, gg.m, 2, 5, 4, 10) FROM bg, gg$$, '22023', 't_x must not exceed T', 'clv: t_x > T');

SELECT * FROM finish();
ROLLBACK;
