-- BTYD fits on data where the likelihood is highest at the boundary of the
-- parameters: the limit where one exists (BG/NBD without repeat purchases;
-- customers who all bought until the end of the period), 22000 with a hint
-- where none does, and expected purchases near the boundary against
-- quadrature (test/data/btyd_limits/make_reference.py).
BEGIN;
SELECT plan(20);

-- ---------- BG/NBD without repeat purchases: r = 0 ----------

CREATE TEMP TABLE none AS
SELECT portrait.bgnbd_fit(0, 0, 30 + g) AS m FROM generate_series(1, 50) g;
SELECT is((SELECT array[(m::jsonb->>'r')::float8, (m::jsonb->>'log_likelihood')::float8] FROM none),
          array[0, 0]::float8[], 'bgnbd_fit without repeat buyers: the limit r = 0, log-likelihood 0');
SELECT is((SELECT (m::jsonb->>'converged')::bool FROM none), true, 'the limit is reported as converged');
SELECT is((SELECT portrait.p_alive(0, 0, 40, m) FROM none), 1::float8, 'the limit: P(alive) = 1');
SELECT is((SELECT array[portrait.expected_purchases(m, 30), portrait.expected_purchases(m, 30, 0, 0, 40)] FROM none),
          array[0, 0]::float8[], 'the limit: no expected purchases, new or old');
SELECT is((SELECT array[portrait.prob_purchases(m, 30, 0), portrait.prob_purchases(m, 30, 2)] FROM none),
          array[1, 0]::float8[], 'the limit: P(N(30) = 0) = 1');
SELECT is((SELECT portrait.bgnbd_loglik(0, 0, 40, m) FROM none), 0::float8, 'the limit: log-likelihood 0 per customer');
SELECT is((SELECT m::text::portrait.model::text = m::text FROM none), true, 'the limit model round-trips through text');
SELECT is((SELECT portrait.bgnbd_fit(0, 0, 30 + g) FROM generate_series(50, 1, -1) g)::text,
          (SELECT m::text FROM none), 'the limit does not depend on the row order');
SELECT throws_ok($$SELECT '{"kind": "mbgnbd", "format": 1, "r": 0, "alpha": 1, "a": 1, "b": 1}'::portrait.model$$,
                 '22P02', 'invalid portrait.model', 'r = 0 is a model only for bgnbd');
SELECT throws_ok($$SELECT portrait.mbgnbd_fit(0, 0, 30 + g) FROM generate_series(1, 50) g$$, '22000',
                 'an MBG/NBD fit has no limit on data without repeat purchases',
                 'mbgnbd_fit without repeat buyers: no limit, P(alive) undetermined');
SELECT throws_ok($$SELECT portrait.pareto_nbd_fit(0, 0, 30 + g) FROM generate_series(1, 50) g$$, '22000',
                 'a Pareto/NBD fit has no limit on data without repeat purchases',
                 'pareto_nbd_fit without repeat buyers: no limit');

SELECT throws_ok($$SELECT portrait.btyd_compare(0, 0, 30 + g, 0, 10) FROM generate_series(1, 50) g$$, '22023',
                 'too few customers to fit a BG/NBD model', 'btyd_compare without repeat buyers: too few to compare');

-- ---------- nobody drops out: the homogeneous Poisson limit ----------

-- everyone bought 3 times, the last at the end of the period: the likelihood
-- rises towards a common rate lambda = sum(x)/sum(T) = 150/1600 and no
-- dropout, where each customer's likelihood is lambda^x exp(-lambda T)
CREATE TEMP TABLE still AS
SELECT portrait.bgnbd_fit(3, 30 + g % 5, 30 + g % 5) AS bg, portrait.pareto_nbd_fit(3, 30 + g % 5, 30 + g % 5) AS pn
  FROM generate_series(1, 50) g;
SELECT ok((SELECT abs((bg::jsonb->>'log_likelihood')::float8 / (150 * ln(150 / 1600.0) - 150) - 1) < 1e-6 FROM still),
          'BG/NBD: the log-likelihood reaches the Poisson limit');
SELECT ok((SELECT abs((pn::jsonb->>'log_likelihood')::float8 / (150 * ln(150 / 1600.0) - 150) - 1) < 1e-6 FROM still),
          'Pareto/NBD: the log-likelihood reaches the Poisson limit');
SELECT ok((SELECT abs(portrait.expected_purchases(bg, 30, 3, 30, 30) / (30 * 150 / 1600.0) - 1) < 1e-6
                  AND abs(portrait.expected_purchases(bg, 30) / (30 * 150 / 1600.0) - 1) < 1e-6 FROM still),
          'BG/NBD at the boundary: expected purchases are the limit rate times t');

-- ---------- expected purchases near the boundary against quadrature ----------

CREATE TEMP TABLE ref AS
SELECT e.*, CASE WHEN x = 0 AND t_x = 0 AND "T" = 0 THEN portrait.expected_purchases(m, t)
                 ELSE portrait.expected_purchases(m, t, x, t_x, "T") END AS ours
  FROM btyd_limits_ref.expected e,
       LATERAL (SELECT format('{"kind": "bgnbd", "format": 1, "r": %s, "alpha": %s, "a": %s, "b": %s}',
                              r, alpha, a, b)::portrait.model AS m) mm;
SELECT ok((SELECT count(*) = 12 AND bool_and(abs(ours / expected - 1) < 1e-13) FROM ref WHERE r >= 1e4),
          'E[X(t)] with r, alpha, b huge: within 1e-13 of quadrature');
SELECT ok((SELECT count(*) = 6 AND bool_and(abs(ours / expected - 1) < 1e-12) FROM ref WHERE r < 1),
          'E[X(t)] at the CDNOW fit: within 1e-12 of quadrature');
SELECT ok((SELECT count(*) = 12 AND bool_and(abs(ours / expected - 1) < 1e-8) FROM ref WHERE abs(a - 1) < 1e-6),
          'E[X(t)] at a = 1 and next to it: within 1e-8 of quadrature');

-- ---------- Gamma-Gamma ----------

SELECT throws_ok($$SELECT portrait.gamma_gamma_fit(1 + g % 4, 25.0) FROM generate_series(1, 50) g$$, '22000',
                 'a Gamma-Gamma fit has no limit when every repeat buyer has the same average value',
                 'gamma_gamma_fit on constant spend: no limit');
SELECT ok((SELECT abs(portrait.expected_avg_value(m, 2, 21) / 21 - 1) < 1e-4
             FROM (SELECT portrait.gamma_gamma_fit(1 + g % 4, 20 + g % 3) AS m FROM generate_series(1, 50) g) s),
          'gamma_gamma_fit on spend constant within customers: the expected average value tends to the customer''s own');

SELECT * FROM finish();
ROLLBACK;
