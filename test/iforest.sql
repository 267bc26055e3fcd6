-- Isolation forest: AUC against scikit-learn on planted anomalies,
-- determinism, row-order and plan independence, robust z-scores and every
-- documented error.
BEGIN;
SELECT plan(33);

CREATE TEMP TABLE if_m AS
SELECT portrait.iforest_fit(f, '{"seed": 1, "n_trees": 100, "max_samples": 256, "feature_names": ["orders", "amount", "recency", "tenure"]}') AS m
FROM trees_ref.iforest_points;

-- ---------- the reference: planted anomalies, scikit-learn's AUC ----------

SELECT is(portrait.model_kind((SELECT m FROM if_m)), 'isolation_forest', 'iforest_fit makes an isolation_forest model');
-- the AUC of each of three seeds, and their mean, within 0.02 of scikit-learn's mean over ten seeds
CREATE TEMP TABLE if_auc AS
SELECT s, portrait.auc(portrait.anomaly_score(m, p.f), p.anomaly) AS auc
FROM (SELECT s, portrait.iforest_fit(f, jsonb_build_object('seed', s)) AS m
      FROM trees_ref.iforest_points, generate_series(1, 3) s GROUP BY s) f,
     trees_ref.iforest_points p
GROUP BY s;
SELECT ok((SELECT bool_and(abs(a.auc - r.auc) < 0.02) FROM if_auc a, trees_ref.iforest_reference r),
          'AUC of every seed within 0.02 of scikit-learn''s IsolationForest (100 trees, 256 samples)');
SELECT ok((SELECT abs(avg(a.auc) - min(r.auc)) < 0.01 FROM if_auc a, trees_ref.iforest_reference r),
          'mean AUC of three seeds within 0.01 of scikit-learn''s mean');
SELECT ok((SELECT min(portrait.anomaly_score(m, f)) > 0 AND max(portrait.anomaly_score(m, f)) <= 1 FROM if_m, trees_ref.iforest_points),
          'scores lie in (0, 1]');
SELECT ok((SELECT avg(portrait.anomaly_score(m, f)) FILTER (WHERE anomaly) > avg(portrait.anomaly_score(m, f)) FILTER (WHERE NOT anomaly) + 0.1
           FROM if_m, trees_ref.iforest_points), 'planted anomalies score higher on average');
SELECT is((SELECT (m::jsonb ->> 'max_samples')::int FROM if_m), 256, 'the model records the sample size');
SELECT is((SELECT jsonb_array_length(m::jsonb -> 'tree_start') FROM if_m), 101, 'the model holds 100 trees');

-- ---------- determinism ----------

SELECT is((SELECT portrait.iforest_fit(f, '{"seed": 3}' ORDER BY id)::text FROM trees_ref.iforest_points),
          (SELECT portrait.iforest_fit(f, '{"seed": 3}' ORDER BY id DESC)::text FROM trees_ref.iforest_points),
          'the model does not depend on row order');
SELECT is((SELECT portrait.iforest_fit(f, '{"seed": 3}')::text FROM trees_ref.iforest_points),
          (SELECT portrait.iforest_fit(f, '{"seed": 3}' ORDER BY f[2])::text FROM trees_ref.iforest_points),
          'the same seed gives the same model');
SELECT isnt((SELECT portrait.iforest_fit(f, '{"seed": 3}')::text FROM trees_ref.iforest_points),
            (SELECT portrait.iforest_fit(f, '{"seed": 4}')::text FROM trees_ref.iforest_points),
            'another seed gives another forest');
SELECT is((SELECT portrait.iforest_fit(f)::text FROM trees_ref.iforest_points),
          (SELECT portrait.iforest_fit(f, '{"seed": 0, "n_trees": 100, "max_samples": 256}')::text FROM trees_ref.iforest_points),
          'defaults: 100 trees, 256 samples, seed 0');
SELECT is((SELECT m::text::portrait.model::text FROM if_m), (SELECT m::text FROM if_m), 'the model''s text form round-trips');

-- parallel workers split the rows: the same model
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.iforest_fit(f, '{"seed": 1}') FROM trees_ref.iforest_points$$),
               'Partial Aggregate', 'iforest_fit runs as a partial aggregate in parallel workers');
CREATE TEMP TABLE if_par AS SELECT portrait.iforest_fit(f, '{"seed": 1, "n_trees": 100, "max_samples": 256, "feature_names": ["orders", "amount", "recency", "tenure"]}')::text AS m
FROM trees_ref.iforest_points;
CALL test_helpers.reset_parallel();
SELECT is((SELECT m FROM if_par), (SELECT m::text FROM if_m), 'parallel iforest_fit gives the identical model');

-- ---------- robust z-scores and reasons ----------

CREATE TEMP TABLE rz (f float8[]);
INSERT INTO rz SELECT ARRAY[g, 5, CASE WHEN g <= 60 THEN 0 ELSE g END]::float8[] FROM generate_series(1, 101) g;
CREATE TEMP TABLE rz_m AS SELECT portrait.iforest_fit(f, '{"feature_names": ["order count", "constant", "mostly zero"]}') AS m FROM rz;
-- median 51, MAD 25 (|g - 51| for g = 1..101), so 1.4826 * 25 is the scale
SELECT ok((SELECT abs((portrait.anomaly_robust_z(m, '{151, 5, 0}'))[1] - 100 / (1.4826 * 25)) < 1e-12 FROM rz_m),
          'robust z = (x - median) / (1.4826 MAD)');
SELECT is((SELECT (portrait.anomaly_robust_z(m, '{51, 6, 0}'))[2] FROM rz_m), NULL::float8,
          'a feature constant in training has no robust z (NULL)');
-- "mostly zero": median 0, MAD 0, so the scale is 1.253314 times the mean absolute deviation
SELECT ok((SELECT abs((portrait.anomaly_robust_z(m, '{51, 5, 1}'))[3]
                      - 1 / (1.253314 * (SELECT avg(abs(f[3])) FROM rz))) < 1e-12 FROM rz_m),
          'where the MAD is 0, the scale is 1.253314 times the mean absolute deviation');
SELECT is((SELECT array_agg(reason ORDER BY rank) FROM rz_m, portrait.anomaly_reasons(m, '{401, 5, 0}')),
          ARRAY['order count 9.4 MAD above the median'], 'anomaly_reasons names the unusual feature');
SELECT is((SELECT array_agg(feature ORDER BY rank) FROM rz_m, portrait.anomaly_reasons(m, '{-300, 5, 2000}', 1)),
          ARRAY['mostly zero'], 'anomaly_reasons: strongest first, at most top');
SELECT is((SELECT count(*) FROM rz_m, portrait.anomaly_reasons(m, '{51, 5, 0}')), 0::bigint,
          'a typical customer has no reasons');

-- ---------- bad input ----------

SELECT throws_ok($$SELECT portrait.iforest_fit(f) FROM (VALUES ('{1,NULL}'::float8[]), ('{2,3}')) v(f)$$,
                 '22004', NULL, 'a NULL feature is refused (22004)');
SELECT throws_ok($$SELECT portrait.iforest_fit(f) FROM (VALUES ('{1,NaN}'::float8[]), ('{2,3}')) v(f)$$,
                 '22000', NULL, 'a NaN feature is refused (22000)');
SELECT throws_ok($$SELECT portrait.iforest_fit(f) FROM (VALUES ('{1,Infinity}'::float8[]), ('{2,3}')) v(f)$$,
                 '22000', NULL, 'an infinite feature is refused (22000)');
SELECT throws_ok($$SELECT portrait.iforest_fit(f) FROM (VALUES ('{1,2}'::float8[]), ('{2,3,4}')) v(f)$$,
                 '22000', NULL, 'rows of different widths are refused (22000)');
SELECT throws_ok($$SELECT portrait.iforest_fit(f) FROM (VALUES ('{1,2}'::float8[])) v(f)$$,
                 '22023', 'iforest_fit needs at least 2 rows, not 1', 'one row is too few (22023)');
SELECT throws_ok($$SELECT portrait.iforest_fit(f, '{"n_trees": 0}') FROM trees_ref.iforest_points$$,
                 '22023', NULL, 'n_trees 0 is refused (22023)');
SELECT throws_ok($$SELECT portrait.iforest_fit(f, '{"max_samples": 1}') FROM trees_ref.iforest_points$$,
                 '22023', NULL, 'max_samples 1 is refused (22023)');
SELECT throws_ok($$SELECT portrait.iforest_fit(f, '{"trees": 10}') FROM trees_ref.iforest_points$$,
                 '0A000', NULL, 'an unknown option is refused (0A000)');
SELECT throws_ok($$SELECT portrait.anomaly_score(m, '{1,2}') FROM if_m$$,
                 '22023', 'features has 2 values but the model was fitted on 4', 'scoring checks the width (22023)');
SELECT throws_ok($$SELECT portrait.anomaly_score(portrait.kmeans_fit(f, 2), f) FROM trees_ref.iforest_points GROUP BY f LIMIT 1$$,
                 '22023', NULL, 'scoring checks the model kind (22023)');
SELECT throws_ok($$SELECT jsonb_set(m::jsonb, '{node_right}', (SELECT jsonb_agg(0) FROM jsonb_array_elements(m::jsonb -> 'node_right')))::text::portrait.model FROM if_m$$,
                 '22P02', NULL, 'a forest whose children are not after their parent is refused (22P02)');
SELECT throws_ok($$SELECT portrait.anomaly_score(m, '{1, 2, NaN, 4}') FROM if_m$$,
                 '22000', NULL, 'a NaN feature in scoring is refused (22000)');
SET LOCAL portrait.fit_memory_limit = 64;
SELECT throws_ok($$SELECT portrait.iforest_fit(f) FROM trees_ref.iforest_points$$,
                 '54000', NULL, 'the rows are checked against portrait.fit_memory_limit (54000)');
RESET portrait.fit_memory_limit;

SELECT * FROM finish();
ROLLBACK;
