-- Logistic regression: MADlib's and scikit-learn's reference fits, logit_train
-- against logit_fit, scoring, AUC, parallel plans and every documented error.
BEGIN;
SELECT plan(70);

-- ---------- MADlib's 20-row example (test/data/logit/patients.csv) ----------

-- tol 1e-4 is MADlib's default convergence tolerance: same iterations, same statistics
CREATE TEMP TABLE madlib_fit AS
SELECT portrait.logit_fit(second_attack = 1, ARRAY[treatment, trait_anxiety]::float8[],
                          '{"tol": 1e-4, "feature_names": ["treatment", "trait_anxiety"]}') AS m
FROM logit.patients;

CREATE TEMP TABLE madlib_ref (ord int, name text, coef float8, std_err float8, z float8, p_value float8, odds_ratio float8);
INSERT INTO madlib_ref VALUES
    (1, 'intercept', -6.36346994178192, 3.21389766375099, -1.97998524145757, 0.0477051870698145, 0.00172337630923221),
    (2, 'treatment', -1.02410605239327, 1.17107844860319, -0.874498248699539, 0.381846973530455, 0.359117354054956),
    (3, 'trait_anxiety', 0.119044916668607, 0.0549790458269317, 2.16527796868916, 0.0303664045046183, 1.12642051220895);

CREATE TEMP TABLE madlib_ours AS
SELECT c.ordinality::int AS ord, c.* FROM madlib_fit, portrait.logit_coefficients(m) WITH ORDINALITY c;

SELECT is((SELECT string_agg(name, ',' ORDER BY ord) FROM madlib_ours), 'intercept,treatment,trait_anxiety',
          'MADlib example: coefficient names in order, intercept first');
SELECT cmp_ok((SELECT max(abs(o.coef / r.coef - 1)) FROM madlib_ours o JOIN madlib_ref r USING (ord)), '<', 1e-8::float8,
              'MADlib example: coefficients to 1e-8 relative');
SELECT cmp_ok((SELECT max(abs(o.std_err / r.std_err - 1)) FROM madlib_ours o JOIN madlib_ref r USING (ord)), '<', 1e-8::float8,
              'MADlib example: standard errors to 1e-8 relative');
SELECT cmp_ok((SELECT max(abs(o.z / r.z - 1)) FROM madlib_ours o JOIN madlib_ref r USING (ord)), '<', 1e-8::float8,
              'MADlib example: z statistics to 1e-8 relative');
SELECT cmp_ok((SELECT max(abs(o.p_value / r.p_value - 1)) FROM madlib_ours o JOIN madlib_ref r USING (ord)), '<', 1e-8::float8,
              'MADlib example: p-values to 1e-8 relative');
SELECT cmp_ok((SELECT max(abs(o.odds_ratio / r.odds_ratio - 1)) FROM madlib_ours o JOIN madlib_ref r USING (ord)), '<', 1e-8::float8,
              'MADlib example: odds ratios to 1e-8 relative');
SELECT cmp_ok((SELECT abs((m::jsonb->>'log_likelihood')::float8 / -9.41018298388876 - 1) FROM madlib_fit), '<', 1e-8::float8,
              'MADlib example: log-likelihood to 1e-8 relative');
SELECT cmp_ok((SELECT abs((m::jsonb->>'condition_number')::float8 / 326.081922791575 - 1) FROM madlib_fit), '<', 1e-8::float8,
              'MADlib example: condition number (of W^1/2 X, the root of X''WX''s) to 1e-8 relative');
SELECT is((SELECT (m::jsonb->>'iterations')::int FROM madlib_fit), 5, 'MADlib example: 5 Newton iterations');
SELECT cmp_ok((SELECT abs((m::jsonb->>'aic')::float8 - (6 + 2 * 9.41018298388876)) FROM madlib_fit), '<', 1e-9::float8,
              'MADlib example: AIC = 2k - 2 log-likelihood');
SELECT is((SELECT (m::jsonb->>'n')::int * 100 + (m::jsonb->>'positives')::int FROM madlib_fit), 2010,
          'MADlib example: n = 20 rows, 10 positives');

-- ---------- scikit-learn on the generated churn data (make_reference.py) ----------

CREATE TEMP TABLE sk_ours AS
SELECT v.fit, c.name AS term, c.coef
FROM (VALUES ('none', '{}'), ('l2', '{"lambda": 2}'), ('l2_std', '{"lambda": 2, "standardize": true}')) v(fit, opts),
     LATERAL (SELECT portrait.logit_fit(churned = 1, ARRAY[tenure_months, monthly_spend, support_calls, discount_rate, mobile_app],
                     (opts::jsonb || '{"feature_names": ["tenure_months", "monthly_spend", "support_calls", "discount_rate", "mobile_app"]}')) AS m
              FROM logit.churn) f,
     portrait.logit_coefficients(f.m) c;

SELECT is((SELECT count(*)::int FROM sk_ours JOIN logit.sklearn_reference USING (fit, term)), 18,
          'scikit-learn: 3 fits x 6 terms matched by name');
SELECT cmp_ok((SELECT max(abs(o.coef / r.coef - 1)) FROM sk_ours o JOIN logit.sklearn_reference r USING (fit, term) WHERE fit = 'none'),
              '<', 1e-5::float8, 'scikit-learn penalty=None: coefficients to 1e-5 relative');
SELECT cmp_ok((SELECT max(abs(o.coef / r.coef - 1)) FROM sk_ours o JOIN logit.sklearn_reference r USING (fit, term) WHERE fit = 'l2'),
              '<', 1e-5::float8, 'scikit-learn L2, C = 0.5 = 1/lambda, intercept unpenalised: coefficients to 1e-5 relative');
SELECT cmp_ok((SELECT max(abs(o.coef / r.coef - 1)) FROM sk_ours o JOIN logit.sklearn_reference r USING (fit, term) WHERE fit = 'l2_std'),
              '<', 1e-5::float8, 'scikit-learn StandardScaler + L2: standardised penalty, coefficients in original units to 1e-5');

CREATE TEMP TABLE churn_fit AS
SELECT portrait.logit_fit(churned = 1, ARRAY[tenure_months, monthly_spend, support_calls, discount_rate, mobile_app]) AS m
FROM logit.churn;

SELECT cmp_ok((SELECT max(abs(a.coef / b.coef - 1))
                 FROM churn_fit, portrait.logit_coefficients(m) WITH ORDINALITY a,
                      (SELECT portrait.logit_fit(churned = 1, ARRAY[tenure_months, monthly_spend, support_calls, discount_rate, mobile_app],
                                                 '{"standardize": true}') AS m2 FROM logit.churn) s,
                      portrait.logit_coefficients(s.m2) WITH ORDINALITY b
                WHERE a.ordinality = b.ordinality), '<', 1e-9::float8,
              'without a penalty standardisation does not change the estimate');

-- standardisation centres the features before summing: a large offset (epoch seconds) does not
-- cancel out, and only the intercept moves
CREATE TEMP TABLE shifted AS
SELECT portrait.logit_fit(churned = 1, ARRAY[tenure_months + 1.7e9, monthly_spend], '{"standardize": true}') AS m
FROM logit.churn;
SELECT cmp_ok((SELECT max(abs(a.coef / b.coef - 1)) FROM shifted, portrait.logit_coefficients(shifted.m) WITH ORDINALITY a,
                      portrait.logit_coefficients((SELECT portrait.logit_fit(churned = 1, ARRAY[tenure_months, monthly_spend]) FROM logit.churn)) WITH ORDINALITY b
                WHERE a.ordinality = b.ordinality AND a.ordinality > 1), '<', 1e-9::float8,
              'standardize: a feature offset by 1.7e9 gets the slope of the unshifted fit (1e-9)');
SELECT is((SELECT array_agg(odds_ratio ORDER BY ordinality)::text FROM shifted, portrait.logit_coefficients(shifted.m) WITH ORDINALITY
            WHERE ordinality = 1) || ' ' || (SELECT (m::jsonb ? 'odds_ratio')::text FROM shifted),
          '{Infinity} false', 'an intercept whose odds ratio overflows: Infinity in logit_coefficients, field left out of the model');
SELECT cmp_ok((SELECT max(abs(a.coef / b.coef - 1)) FROM shifted, portrait.logit_coefficients(shifted.m) WITH ORDINALITY a,
                      portrait.logit_coefficients(portrait.logit_train('SELECT churned, tenure_months + 1.7e9 AS t, monthly_spend FROM logit.churn',
                          'churned', ARRAY['t', 'monthly_spend'], '{"standardize": true}')) WITH ORDINALITY b
                WHERE a.ordinality = b.ordinality), '<', 1e-6::float8,
              'standardize: logit_train centres the same way (equal to logit_fit within 1e-6)');

-- ---------- scoring ----------

SELECT cmp_ok((SELECT max(abs(portrait.churn_risk(ARRAY[tenure_months, monthly_spend, support_calls, discount_rate, mobile_app], m)
                  - 1 / (1 + exp(-((m::jsonb->'coef'->>0)::float8 + (m::jsonb->'coef'->>1)::float8 * tenure_months
                                   + (m::jsonb->'coef'->>2)::float8 * monthly_spend + (m::jsonb->'coef'->>3)::float8 * support_calls
                                   + (m::jsonb->'coef'->>4)::float8 * discount_rate + (m::jsonb->'coef'->>5)::float8 * mobile_app)))))
                 FROM logit.churn, churn_fit), '<', 1e-12::float8,
              'churn_risk is the logistic function of the linear predictor');
SELECT is((SELECT string_agg(name, ',') FROM churn_fit, portrait.logit_coefficients(m)), 'intercept,x1,x2,x3,x4,x5',
          'logit_coefficients: default feature names x1..xp');
SELECT ok((SELECT bool_and(abs(z - coef / std_err) <= 1e-12 * abs(z) AND abs(odds_ratio - exp(coef)) <= 1e-12 * odds_ratio
                           AND p_value > 0 AND p_value <= 1)
             FROM churn_fit, portrait.logit_coefficients(m)),
          'logit_coefficients: z = coef / std_err, odds ratio = exp(coef), p-values in (0, 1]');
SELECT is(portrait.churn_risk(ARRAY[1, 2, 3, 4, 5]::float8[], NULL), NULL, 'churn_risk is NULL for a NULL model');
SELECT is((SELECT m::text::portrait.model::text FROM madlib_fit), (SELECT m::text FROM madlib_fit),
          'a logit model reads back from its text form unchanged');

-- ---------- auc ----------

CREATE TEMP TABLE scored AS
SELECT id, churned = 1 AS y, round(portrait.churn_risk(ARRAY[tenure_months, monthly_spend, support_calls, discount_rate, mobile_app], m)::numeric, 2)::float8 AS s
FROM logit.churn, churn_fit;

SELECT cmp_ok((SELECT abs(portrait.auc(s, y) -
                   (SELECT (sum(CASE WHEN p.s > n.s THEN 1 WHEN p.s = n.s THEN 0.5 ELSE 0 END) / count(*))::float8
                      FROM scored p, scored n WHERE p.y AND NOT n.y)) FROM scored),
              '<', 1e-12::float8, 'auc equals the pairwise count with ties counted half (scores rounded to create ties)');
SELECT is((SELECT portrait.auc(s, l) FROM (VALUES (1, true), (1, false), (2, true), (0, false), (NULL, true), (3, NULL)) v(s, l)),
          0.875::float8, 'auc of a hand-checked example: ties count half, NULLs skipped');
SELECT is((SELECT portrait.auc(s, true) FROM generate_series(1, 3) s), NULL, 'auc is NULL when only one class occurs');

-- ---------- logit_train: one logit_step scan per Newton step ----------

SELECT cmp_ok((SELECT max(abs(a.coef / b.coef - 1))
                 FROM churn_fit, portrait.logit_coefficients(m) WITH ORDINALITY a,
                      portrait.logit_coefficients(portrait.logit_train('logit.churn'::regclass, 'churned',
                          ARRAY['tenure_months', 'monthly_spend', 'support_calls', 'discount_rate', 'mobile_app'])) WITH ORDINALITY b
                WHERE a.ordinality = b.ordinality), '<', 1e-6::float8,
              'logit_train over a table equals logit_fit within 1e-6');
SELECT cmp_ok((SELECT max(abs(o.coef / r.coef - 1))
                 FROM portrait.logit_coefficients(portrait.logit_train(
                          'SELECT churned, tenure_months AS t, monthly_spend, support_calls, discount_rate, mobile_app FROM logit.churn',
                          'churned', ARRAY['t', 'monthly_spend', 'support_calls', 'discount_rate', 'mobile_app'],
                          '{"lambda": 2, "standardize": true}')) WITH ORDINALITY o
                 JOIN logit.sklearn_reference r ON r.fit = 'l2_std'
                  AND r.term = (ARRAY['intercept', 'tenure_months', 'monthly_spend', 'support_calls', 'discount_rate', 'mobile_app'])[o.ordinality]),
              '<', 1e-5::float8, 'logit_train over a query, standardised L2: scikit-learn''s coefficients to 1e-5');
SELECT is((SELECT string_agg(name, ',') FROM portrait.logit_coefficients(portrait.logit_train('logit.patients'::regclass, 'second_attack',
                                                                                           ARRAY['treatment', 'trait_anxiety']))),
          'intercept,treatment,trait_anxiety', 'logit_train names the coefficients after the columns');

SELECT lives_ok($$SELECT portrait.logit_train('SELECT * FROM logit.patients -- the sample;
', 'second_attack', ARRAY['treatment'])$$, 'logit_train accepts a query with a trailing semicolon or comment');

-- identifiers are quoted: odd column names work and cannot inject SQL
CREATE TEMP TABLE odd ("Churned?" bool, "x; DROP TABLE logit.churn; --" float8);
INSERT INTO odd SELECT second_attack = 1, trait_anxiety FROM logit.patients;
SELECT lives_ok($$SELECT portrait.logit_train('odd'::regclass, 'Churned?', ARRAY['x; DROP TABLE logit.churn; --'])$$,
                'logit_train quotes the label and feature column names');
SELECT has_table('logit', 'churn', 'the quoted column name did not run as SQL');

-- the caller's privileges apply
CREATE ROLE portrait_logit_nobody;
SET LOCAL ROLE portrait_logit_nobody;
SELECT throws_ok($$SELECT portrait.logit_train('logit.churn'::regclass, 'churned', ARRAY['tenure_months'])$$,
                 '42501', NULL, 'logit_train runs with the caller''s privileges');
RESET ROLE;

-- ---------- parallel plans ----------

-- plain tables: temporary ones cannot be read by parallel workers
CREATE TABLE logit_par AS SELECT c.*, r FROM logit.churn c, generate_series(1, 10) r;
ANALYZE logit_par;
CREATE TEMP TABLE serial AS
SELECT portrait.logit_fit(churned = 1, ARRAY[tenure_months, monthly_spend, support_calls, discount_rate, mobile_app]) AS m,
       portrait.auc(monthly_spend, churned = 1) AS auc
FROM logit_par;
CREATE TEMP TABLE serial_train AS
SELECT portrait.logit_train('logit_par'::regclass, 'churned', ARRAY['tenure_months', 'monthly_spend', 'support_calls', 'discount_rate', 'mobile_app']) AS m;

CALL test_helpers.force_parallel();

SELECT matches(test_helpers.plan_of('SELECT portrait.logit_fit(churned = 1, ARRAY[tenure_months, monthly_spend]) FROM logit_par'),
               'Partial Aggregate', 'logit_fit runs as a partial aggregate in parallel workers');
SELECT matches(test_helpers.plan_of('SELECT portrait.logit_step(churned = 1, ARRAY[tenure_months, monthly_spend], ARRAY[0, 0, 0]::float8[]) FROM logit_par'),
               'Partial Aggregate', 'logit_step (the step of logit_train) runs as a partial aggregate');
SELECT matches(test_helpers.plan_of('SELECT portrait.auc(monthly_spend, churned = 1) FROM logit_par'),
               'Partial Aggregate', 'auc runs as a partial aggregate');

CREATE TEMP TABLE par AS
SELECT portrait.logit_fit(churned = 1, ARRAY[tenure_months, monthly_spend, support_calls, discount_rate, mobile_app]) AS m,
       portrait.auc(monthly_spend, churned = 1) AS auc
FROM logit_par;
SELECT is((SELECT m::text FROM par), (SELECT m::text FROM serial),
          'parallel logit_fit gives the identical model (rows are sorted before the fit)');
SELECT cmp_ok((SELECT max(abs(a.coef / b.coef - 1)) FROM par, serial,
                      portrait.logit_coefficients(par.m) WITH ORDINALITY a, portrait.logit_coefficients(serial.m) WITH ORDINALITY b
                WHERE a.ordinality = b.ordinality), '<=', 1e-9::float8, 'parallel logit_fit equals serial within 1e-9');
SELECT is((SELECT auc FROM par), (SELECT auc FROM serial), 'parallel auc equals serial');
SELECT cmp_ok((SELECT max(abs(a.coef / b.coef - 1)) FROM serial_train,
                      portrait.logit_coefficients(serial_train.m) WITH ORDINALITY a,
                      portrait.logit_coefficients(portrait.logit_train('logit_par'::regclass, 'churned',
                          ARRAY['tenure_months', 'monthly_spend', 'support_calls', 'discount_rate', 'mobile_app'])) WITH ORDINALITY b
                WHERE a.ordinality = b.ordinality), '<=', 1e-9::float8, 'logit_train with parallel step scans equals serial within 1e-9');

CALL test_helpers.reset_parallel();

-- ---------- states move between nodes as text ----------

-- the aggregate without its final function exposes the state, as a distributed engine sees it
CREATE AGGREGATE pg_temp.logit_state(boolean, float8[], jsonb) (SFUNC = portrait.logit_fit_trans, STYPE = portrait.points);
CREATE AGGREGATE pg_temp.auc_state(float8, boolean) (SFUNC = portrait.auc_trans, STYPE = portrait.points);
SELECT is((SELECT portrait.logit_fit_final(pg_temp.logit_state(second_attack = 1, ARRAY[treatment, trait_anxiety]::float8[],
                                                                '{"tol": 1e-4, "feature_names": ["treatment", "trait_anxiety"]}')::text::portrait.points)::text
             FROM logit.patients),
          (SELECT m::text FROM madlib_fit), 'a logit_fit state (rows and options) survives its text form');
SELECT is((SELECT portrait.auc_final(pg_temp.auc_state(trait_anxiety, second_attack = 1)::text::portrait.points) FROM logit.patients),
          (SELECT portrait.auc(trait_anxiety, second_attack = 1) FROM logit.patients), 'an auc state survives its text form');

-- ---------- errors ----------

SELECT throws_ok($$SELECT portrait.logit_fit(true, ARRAY[x]::float8[]) FROM generate_series(1, 10) x$$,
                 '22000', 'all 10 labels are true', 'labels all one class');
SELECT throws_ok($$SELECT portrait.logit_fit(x > 5, ARRAY[x]::float8[]) FROM generate_series(1, 10) x$$,
                 '22000', 'the labels are perfectly separated by the features', 'complete separation');
SELECT throws_ok($$SELECT portrait.logit_fit(CASE WHEN x < 5 THEN false WHEN x > 5 THEN true ELSE x % 2 = 0 END,
                                            ARRAY[least(x, 5)]::float8[]) FROM generate_series(1, 10) x, generate_series(1, 2) r$$,
                 '22000', 'the labels are quasi-perfectly separated by the features', 'quasi-complete separation');
SELECT throws_ok($$SELECT portrait.logit_fit(second_attack = 1, ARRAY[trait_anxiety, 2 * trait_anxiety]::float8[]) FROM logit.patients$$,
                 '22000', 'the features are collinear: the Hessian X''WX is singular', 'singular Hessian: a feature is a multiple of another');
SELECT throws_ok($$SELECT portrait.logit_fit(second_attack = 1, ARRAY[trait_anxiety, 0.1 * trait_anxiety + 3, treatment]::float8[]) FROM logit.patients$$,
                 '22000', 'the features are collinear: the Hessian X''WX is singular', 'singular Hessian: a feature is affine in another');
SELECT throws_ok($$SELECT portrait.logit_fit(second_attack = 1, ARRAY[trait_anxiety, 7]::float8[], '{"standardize": true}') FROM logit.patients$$,
                 '22000', 'the features are collinear: feature "x2" is constant', 'a constant feature cannot be standardised');
SELECT throws_ok($$SELECT portrait.logit_train('logit.patients'::regclass, 'second_attack', ARRAY['trait_anxiety', 'trait_anxiety'])$$,
                 '22000', 'the features are collinear: the Hessian X''WX is singular', 'logit_train: singular Hessian');
SELECT throws_ok($$SELECT portrait.logit_fit(x % 3 = 0, CASE WHEN x = 7 THEN ARRAY[x]::float8[] ELSE ARRAY[x, x % 2]::float8[] END)
                   FROM generate_series(1, 30) x$$,
                 '22000', 'all feature arrays of a fit must have the same length', 'feature count mismatch between rows');
SELECT throws_ok($$SELECT portrait.churn_risk(ARRAY[1, 2, 3]::float8[], m) FROM madlib_fit$$,
                 '22023', 'features has 3 values but the model has 2 features', 'churn_risk: feature count mismatch');
SELECT throws_ok($$SELECT portrait.churn_risk(ARRAY[1, 2]::float8[], portrait.rfm_breaks(1, 1, 1))$$,
                 '22023', 'churn_risk expects a logit model, not a rfm model', 'churn_risk: model of the wrong kind');
SELECT throws_ok($$SELECT * FROM portrait.logit_coefficients((SELECT portrait.rfm_breaks(1, 1, 1)))$$,
                 '22023', 'logit_coefficients expects a logit model, not a rfm model', 'logit_coefficients: model of the wrong kind');
SELECT throws_ok($$SELECT portrait.logit_fit(x % 3 = 0, ARRAY[x, 'NaN']::float8[]) FROM generate_series(1, 30) x$$,
                 '22000', 'features must hold finite numbers, not NaN', 'NaN feature');
SELECT throws_ok($$SELECT portrait.churn_risk(ARRAY[[1, 2]]::float8[], m) FROM madlib_fit$$,
                 '22000', 'features must be a one-dimensional array, not 2-dimensional', 'churn_risk: two-dimensional features (22000, as every array argument)');
SELECT throws_ok($$SELECT portrait.churn_risk(ARRAY[1, 'Infinity']::float8[], m) FROM madlib_fit$$,
                 '22000', 'features must hold finite numbers, not Infinity', 'churn_risk: infinite feature');
SELECT throws_ok($$SELECT portrait.logit_fit(x % 3 = 0, ARRAY[x, NULL]::float8[]) FROM generate_series(1, 30) x$$,
                 '22004', 'features must not contain NULL elements', 'NULL element in features');
SELECT throws_ok($$SELECT portrait.logit_fit(x % 2 = 0, ARRAY[x, x * x]::float8[]) FROM generate_series(1, 3) x$$,
                 '22000', 'too few rows to fit a logistic regression: 3 rows for 3 coefficients', 'too few rows');
SELECT throws_ok($$SELECT portrait.logit_fit(x % 2 = 0, ARRAY[x]::float8[], '{"penalty": "l1"}') FROM generate_series(1, 30) x$$,
                 '0A000', 'unsupported option "penalty" of logit_fit', 'unknown option');
SELECT throws_ok($$SELECT portrait.logit_fit(x % 2 = 0, ARRAY[x]::float8[], '{"tol": 0}') FROM generate_series(1, 30) x$$,
                 '22023', 'option "tol" of logit_fit must be between 0 and 1 (exclusive)', 'invalid option value');
SELECT throws_ok($$SELECT portrait.logit_fit(x % 2 = 0, ARRAY[x]::float8[], jsonb_build_object('lambda', x)) FROM generate_series(1, 30) x$$,
                 '22023', 'options must be the same for every row of a group', 'options differing between rows');
SELECT throws_ok($$SELECT portrait.logit_fit(second_attack = 1, ARRAY[trait_anxiety]::float8[], '{"max_iter": 2}') FROM logit.patients$$,
                 '22000', 'logistic regression did not converge in 2 iterations', 'no convergence within max_iter');
SELECT throws_ok($$SELECT portrait.auc('NaN', true)$$, '22000', 'score must be a finite number, not NaN', 'auc: NaN score');
SELECT throws_ok($$SELECT portrait.logit_step(true, ARRAY[1, 2]::float8[], ARRAY[0, 0]::float8[])$$,
                 '22000', 'coefs has 2 values for 2 features', 'logit_step: coefficient count mismatch');
SELECT throws_ok($$SELECT portrait.logit_train('logit.patients'::regclass, 'second_attack', ARRAY['treatment', NULL])$$,
                 '22004', 'features must not contain NULL elements', 'logit_train: NULL feature name');

-- no rows: no model
SELECT ok((SELECT portrait.logit_fit(second_attack = 1, ARRAY[treatment]::float8[]) FROM logit.patients WHERE false) IS NULL,
          'logit_fit over no rows is NULL');
SELECT ok(portrait.logit_train('SELECT * FROM logit.patients WHERE false', 'second_attack', ARRAY['treatment']) IS NULL,
          'logit_train over no rows is NULL');

-- NULL label or NULL features: the row is skipped
SELECT is((SELECT (portrait.logit_fit(CASE WHEN id = 1 THEN NULL ELSE second_attack = 1 END,
                                      CASE WHEN id = 2 THEN NULL ELSE ARRAY[treatment, trait_anxiety]::float8[] END)::jsonb->>'n')::int
             FROM logit.patients), 18, 'rows with a NULL label or NULL features are skipped');

-- a table name as text (no ::regclass) names the table, as in kmeans_train
SELECT is((SELECT portrait.logit_train('logit.churn', 'churned', ARRAY['tenure_months', 'monthly_spend'])::text),
          (SELECT portrait.logit_train('logit.churn'::regclass, 'churned', ARRAY['tenure_months', 'monthly_spend'])::text),
          'logit_train takes a table name as text');
SELECT * FROM finish();
ROLLBACK;
