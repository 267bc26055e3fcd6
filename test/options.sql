-- Fit options are read one way by every family: one spelling per setting
-- (max_iter, penalizer) with the other as an alias, one message per kind of
-- mistake.
BEGIN;
SELECT plan(9);

CREATE TEMP TABLE opt_rows AS
SELECT g % 3 = 0 AS y, ARRAY[(g % 11)::float8, (g % 7)::float8] AS x, g % 5 AS f, (g % 5) * 2.5 AS t_x, 20.0 AS big_t,
       10 + g % 9 AS v
FROM generate_series(1, 600) g;

SELECT is((SELECT portrait.logit_fit(y, x, '{"lambda": 0.5}')::text FROM opt_rows),
          (SELECT portrait.logit_fit(y, x, '{"penalizer": 0.5}')::text FROM opt_rows),
          'logit_fit: lambda is an alias of penalizer');
SELECT is((SELECT (portrait.logit_fit(y, x, '{"penalizer": 0.5}')::jsonb ->> 'lambda')::float8 FROM opt_rows), 0.5::float8,
          'the model keeps its field lambda (stored models read as before)');
SELECT is((SELECT portrait.bgnbd_fit(f, t_x, big_t, '{"max_iterations": 40}')::text FROM opt_rows),
          (SELECT portrait.bgnbd_fit(f, t_x, big_t, '{"max_iter": 40}')::text FROM opt_rows),
          'bgnbd_fit: max_iterations is an alias of max_iter');
SELECT is((SELECT portrait.kmeans_fit(x, 2, '{"seed": 1, "max_iterations": 5}')::text FROM opt_rows),
          (SELECT portrait.kmeans_fit(x, 2, '{"seed": 1, "max_iter": 5}')::text FROM opt_rows),
          'kmeans_fit: the same alias');
SELECT throws_ok($$SELECT portrait.logit_fit(y, x, '{"lambda": 0.5, "penalizer": 0.5}') FROM opt_rows$$, '22023',
                 'options "penalizer" and "lambda" of logit_fit name the same setting', 'both spellings at once: 22023');
SELECT throws_ok($$SELECT portrait.gamma_gamma_fit(f, v, '{"max_iter": 0}') FROM opt_rows WHERE f > 0$$, '22023',
                 'option "max_iter" of gamma_gamma_fit must be an integer from 1 to 10000', 'one message for an integer out of range');
SELECT throws_ok($$SELECT portrait.kmeans_fit(x, 2, '{"standardize": "yes"}') FROM opt_rows$$, '22023',
                 'option "standardize" of kmeans_fit must be true or false', 'one message for a boolean');
SELECT throws_ok($$SELECT portrait.logit_fit(y, x, '{"feature_names": ["a"]}') FROM opt_rows$$, '22023',
                 'option "feature_names" of logit_fit must be an array of 2 names, one per feature', 'feature names of the wrong count');
SELECT throws_ok($$SELECT portrait.kmeans_fit(x, 2, '{"feature_names": [1, 2]}') FROM opt_rows$$, '22023',
                 'option "feature_names" of kmeans_fit must be an array of strings', 'feature names that are not strings');

SELECT * FROM finish();
ROLLBACK;
