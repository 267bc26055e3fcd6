-- logit_fit / logit_coefficients / churn_risk / auc: a churn model a marketer can read.
-- MADlib's worked example: did a patient have a second heart attack within a year,
-- against treatment (0/1) and trait anxiety?
CREATE TABLE patients (id int, second_attack int, treatment int, trait_anxiety int);
INSERT INTO patients VALUES
    (1, 1, 1, 70), (2, 1, 1, 80), (3, 1, 1, 50), (4, 1, 0, 60), (5, 1, 0, 40),
    (6, 1, 0, 65), (7, 1, 0, 75), (8, 1, 0, 80), (9, 1, 0, 70), (10, 1, 0, 60),
    (11, 0, 1, 65), (12, 0, 1, 50), (13, 0, 1, 45), (14, 0, 1, 35), (15, 0, 1, 40),
    (16, 0, 1, 50), (17, 0, 0, 55), (18, 0, 0, 45), (19, 0, 0, 50), (20, 0, 0, 60);

-- Unpenalised maximum likelihood with an intercept; tol 1e-4 is MADlib's default,
-- so the iteration count, log-likelihood and condition number are MADlib's too.
CREATE TABLE fit AS
SELECT portrait.logit_fit(second_attack = 1, ARRAY[treatment, trait_anxiety]::float8[],
                          '{"tol": 1e-4, "feature_names": ["treatment", "trait_anxiety"]}') AS m
FROM patients;

-- One row per coefficient: anxiety raises the odds by 12.6 % per point (p = 0.03);
-- the treatment's odds ratio 0.36 is not significant (p = 0.38).
SELECT name, round(coef::numeric, 8) AS coef, round(std_err::numeric, 8) AS std_err,
       round(z::numeric, 6) AS z, round(p_value::numeric, 6) AS p_value,
       round(odds_ratio::numeric, 6) AS odds_ratio
FROM fit, portrait.logit_coefficients(m);

SELECT round((m::jsonb->>'log_likelihood')::numeric, 8) AS log_likelihood,
       round((m::jsonb->>'aic')::numeric, 8) AS aic,
       m::jsonb->'iterations' AS iterations,
       round((m::jsonb->>'condition_number')::numeric, 6) AS condition_number
FROM fit;

-- Churn risk of each patient, and how well it ranks them (exact AUC, ties count half).
SELECT id, second_attack, round(portrait.churn_risk(ARRAY[treatment, trait_anxiety]::float8[], m)::numeric, 4) AS risk
FROM patients, fit ORDER BY risk DESC, id LIMIT 5;
SELECT portrait.auc(portrait.churn_risk(ARRAY[treatment, trait_anxiety]::float8[], m), second_attack = 1) AS auc
FROM patients, fit;

-- The same fit by logit_train: one aggregate scan (logit_step) per Newton step.
SELECT name, round(coef::numeric, 8) AS coef
FROM portrait.logit_coefficients(portrait.logit_train('patients'::regclass, 'second_attack',
                                                      ARRAY['treatment', 'trait_anxiety'], '{"tol": 1e-4}'));

-- An L2 penalty (lambda = 1/C of scikit-learn; the intercept is not penalised)
-- shrinks the weak treatment effect towards zero.
SELECT c.name, round(c.coef::numeric, 6) AS coef
FROM (SELECT portrait.logit_fit(second_attack = 1, ARRAY[treatment, trait_anxiety]::float8[], '{"lambda": 1}') AS m
      FROM patients) f, portrait.logit_coefficients(f.m) c;

-- Errors: labels separated perfectly (the estimate would be infinite) ...
SELECT portrait.logit_fit(trait_anxiety > 60, ARRAY[trait_anxiety]::float8[]) FROM patients;
-- ... and a feature that is a multiple of another (the detail, which names the
-- column and LAPACK's info, depends on the LAPACK build, so it is not shown here).
\set VERBOSITY terse
SELECT portrait.logit_fit(second_attack = 1, ARRAY[trait_anxiety, 2 * trait_anxiety]::float8[]) FROM patients;
\set VERBOSITY default
