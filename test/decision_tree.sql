-- CART trees: equality with scikit-learn on data without tied splits,
-- scoring, rules, categorical features, NULL routing, segment_rules on the
-- k-means clusters of the sample data, plan independence and every
-- documented error.
BEGIN;
SELECT plan(64);

-- ---------- the reference: scikit-learn's trees, node for node ----------

CREATE TEMP TABLE settings (setting text, opts jsonb, kind text);
INSERT INTO settings VALUES
  ('gini_d4', '{"criterion": "gini", "max_depth": 4}', 'c'),
  ('entropy_d5_leaf20', '{"criterion": "entropy", "max_depth": 5, "min_samples_leaf": 20}', 'c'),
  ('gini_d3_weighted', '{"criterion": "gini", "max_depth": 3, "min_samples_leaf": 5, "class_weight": {"a": 1, "b": 2, "c": 0.5}}', 'c'),
  ('mse_d4_leaf10', '{"criterion": "squared_error", "max_depth": 4, "min_samples_leaf": 10}', 'r');
CREATE TEMP TABLE fits AS
SELECT setting, kind,
       CASE WHEN kind = 'c' THEN (SELECT portrait.decision_tree_fit(f, label, opts) FROM trees_ref.tree_points)
            ELSE (SELECT portrait.regression_tree_fit(f, y, opts) FROM trees_ref.tree_points) END AS m
FROM settings;
CREATE TEMP TABLE ours AS SELECT setting, kind, t.* FROM fits, portrait.tree_nodes(m) t;

-- same nodes in the same (preorder) numbering: depth, split feature, threshold exactly, rows, prediction
CREATE FUNCTION pg_temp.same_tree(s text) RETURNS boolean LANGUAGE sql AS $$
    SELECT count(*) = (SELECT count(*) FROM ours WHERE setting = s)
           AND bool_and(o.depth = r.depth AND coalesce(o.feature, 0) = r.feature AND o.n = r.n
                        AND o.threshold IS NOT DISTINCT FROM r.threshold
                        AND CASE WHEN o.kind = 'c' THEN o.prediction = r.prediction
                                 ELSE abs(o.prediction::float8 - r.prediction::float8) <= 1e-9 * (1 + abs(r.prediction::float8)) END)
    FROM trees_ref.tree_reference r JOIN ours o USING (setting, node) WHERE r.setting = s
$$;
SELECT ok(pg_temp.same_tree('gini_d4'), 'gini, depth 4: the tree equals scikit-learn''s DecisionTreeClassifier');
SELECT ok(pg_temp.same_tree('entropy_d5_leaf20'), 'entropy, depth 5, min_samples_leaf 20: equals scikit-learn''s');
SELECT ok(pg_temp.same_tree('gini_d3_weighted'), 'gini with class weights: equals scikit-learn''s');
SELECT ok(pg_temp.same_tree('mse_d4_leaf10'), 'squared error, depth 4, min_samples_leaf 10: equals scikit-learn''s DecisionTreeRegressor');
SELECT is(portrait.model_kind((SELECT m FROM fits WHERE setting = 'gini_d4')), 'decision_tree', 'the fits make decision_tree models');

-- ---------- scoring ----------

SELECT ok((SELECT bool_and(portrait.tree_predict(m, f) = o.prediction)
           FROM fits, trees_ref.tree_points p, ours o
           WHERE fits.setting = 'gini_d4' AND o.setting = 'gini_d4' AND o.node = portrait.tree_leaf(m, f)),
          'tree_predict is the prediction of the row''s leaf');
SELECT ok((SELECT max(abs(portrait.tree_probability(m, f, 'a') + portrait.tree_probability(m, f, 'b')
                          + portrait.tree_probability(m, f, 'c') - 1)) < 1e-12
           FROM fits, trees_ref.tree_points WHERE setting = 'entropy_d5_leaf20'),
          'tree_probability over the classes adds up to 1');
SELECT is((SELECT portrait.tree_probability(m, '{1,2,3,4}', 'zzz') FROM fits WHERE setting = 'gini_d4'), 0::float8,
          'tree_probability of a class the tree has never seen is 0');
SELECT ok((SELECT max(abs(v - mean_y)) < 1e-9 FROM (
              SELECT portrait.tree_value(m, f) AS v, avg(y) OVER (PARTITION BY portrait.tree_leaf(m, f)) AS mean_y
              FROM fits, trees_ref.tree_points WHERE setting = 'mse_d4_leaf10') s),
          'tree_value is the mean target of the row''s leaf');
SELECT ok((SELECT avg((portrait.tree_predict(m, f) = label)::int) > 0.7 FROM fits, trees_ref.tree_points WHERE setting = 'gini_d4'),
          'the gini tree classifies most training rows right');

-- ---------- rules ----------

CREATE TEMP TABLE churn AS
SELECT g AS id, ARRAY[(g % 365) + 1, (g / 365) % 6 + 1]::float8[] AS f,
       CASE WHEN (g % 365) + 1 > 180 AND (g / 365) % 6 + 1 <= 2 THEN 'churned' ELSE 'active' END AS label
FROM generate_series(0, 2189) g;
CREATE TEMP TABLE churn_m AS
SELECT portrait.decision_tree_fit(f, label, '{"max_depth": 2, "feature_names": ["recency", "frequency"]}') AS m FROM churn;
SELECT is((SELECT array_agg(rule ORDER BY leaf) FROM churn_m, portrait.tree_rules(m)),
          ARRAY['frequency <= 2.5 AND recency <= 180.5 → active 100% (n = 360)',
                'frequency <= 2.5 AND recency > 180.5 → churned 100% (n = 370)',
                'frequency > 2.5 → active 100% (n = 1460)'],
          'tree_rules: one sentence per leaf with purity and support');
SELECT is((SELECT sum(n) FROM churn_m, portrait.tree_rules(m)), 2190::numeric, 'the leaves'' support adds up to the rows');
SELECT ok((SELECT abs(sum(share) - 1) < 1e-12 FROM churn_m, portrait.tree_rules(m)), 'the leaves'' shares add up to 1');
SELECT is((SELECT array_agg(rule ORDER BY leaf) FROM portrait.tree_rules(
              (SELECT portrait.decision_tree_fit(f, 'same') FROM churn))),
          ARRAY['all rows → same 100% (n = 2190)'], 'a constant target is one leaf: no split can improve it');

-- ---------- categorical features and NULLs ----------

-- the label depends on the category (1 and 3 against 2 and 4), which no threshold separates
CREATE TEMP TABLE cat AS
SELECT g AS id, ARRAY[g % 4 + 1, g % 7]::float8[] AS f, CASE WHEN g % 4 IN (0, 2) THEN 'yes' ELSE 'no' END AS label
FROM generate_series(1, 400) g;
CREATE TEMP TABLE cat_m AS
SELECT portrait.decision_tree_fit(f, label, '{"max_depth": 1, "categorical": ["region"], "feature_names": ["region", "weekday"]}') AS m FROM cat;
SELECT is((SELECT levels FROM cat_m, portrait.tree_nodes(m) WHERE node = 0), '{2,4}'::float8[],
          'a categorical split sends a set of levels left');
SELECT is((SELECT avg((portrait.tree_predict(m, f) = label)::int) FROM cat_m, cat), 1::numeric,
          'one categorical split separates the classes');
SELECT ok((SELECT avg((portrait.tree_predict(m, f) = label)::int) < 1
           FROM (SELECT portrait.decision_tree_fit(f, label, '{"max_depth": 1}') AS m FROM cat) x, cat),
          'a numeric split of the same feature does not');
SELECT is((SELECT array_agg(condition ORDER BY leaf) FROM cat_m, portrait.tree_rules(m)),
          ARRAY['region IN (2, 4)', 'region NOT IN (2, 4)'], 'categorical rules read IN / NOT IN');
SELECT is((SELECT array_agg(condition ORDER BY leaf) FROM portrait.tree_rules(
              (SELECT portrait.regression_tree_fit(ARRAY[g % 5]::float8[], (g % 5) * 10, '{"max_depth": 2, "categorical": [1]}')
                 FROM generate_series(1, 300) g))),
          ARRAY['f1 IN (0)', 'f1 IN (1)', 'f1 IN (2)', 'f1 NOT IN (0, 1, 2)'],
          'categorical tests of one feature on a path read as one term');
SELECT throws_ok($$SELECT portrait.decision_tree_fit(ARRAY[g]::float8[], (g % 2)::text, '{"categorical": [1]}') FROM generate_series(1, 100000) g$$,
                 '54000', 'categorical feature 1 has 100000 levels; a tree handles at most 1000',
                 'a categorical feature with 100,000 levels is refused (54000)');

-- NULL features: not counted in the split, routed to the larger child
CREATE TEMP TABLE nul AS
SELECT g AS id, ARRAY[CASE WHEN g % 10 = 0 THEN NULL ELSE g END, g % 3]::float8[] AS f,
       CASE WHEN g <= 300 THEN 'low' ELSE 'high' END AS label
FROM generate_series(1, 400) g;
CREATE TEMP TABLE nul_m AS SELECT portrait.decision_tree_fit(f, label, '{"max_depth": 1, "feature_names": ["x", "y"]}') AS m FROM nul;
-- x = 300 is NULL: the midpoint of 299 and 301
SELECT is((SELECT threshold FROM nul_m, portrait.tree_nodes(m) WHERE node = 0), 300::float8,
          'rows with a NULL feature do not count in its split');
SELECT is((SELECT portrait.tree_predict(m, '{NULL, 1}') FROM nul_m), 'low',
          'a NULL feature follows the child that received more rows');
SELECT is((SELECT array_agg(condition ORDER BY leaf) FROM nul_m, portrait.tree_rules(m)),
          ARRAY['(x <= 300 OR x IS NULL)', 'x > 300'], 'rules say where NULLs go');

-- ---------- determinism and plans ----------

SELECT is((SELECT portrait.decision_tree_fit(f, label, '{"max_depth": 4}' ORDER BY id)::text FROM trees_ref.tree_points),
          (SELECT portrait.decision_tree_fit(f, label, '{"max_depth": 4}' ORDER BY id DESC)::text FROM trees_ref.tree_points),
          'the classification tree does not depend on row order');
SELECT is((SELECT portrait.regression_tree_fit(f, y ORDER BY id)::text FROM trees_ref.tree_points),
          (SELECT portrait.regression_tree_fit(f, y ORDER BY id DESC)::text FROM trees_ref.tree_points),
          'the regression tree does not depend on row order');
SELECT is((SELECT m::text::portrait.model::text FROM fits WHERE setting = 'gini_d3_weighted'),
          (SELECT m::text FROM fits WHERE setting = 'gini_d3_weighted'), 'the model''s text form round-trips');
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.decision_tree_fit(f, label) FROM trees_ref.tree_points$$),
               'Partial Aggregate', 'decision_tree_fit runs as a partial aggregate in parallel workers');
CREATE TEMP TABLE par AS
SELECT (SELECT portrait.decision_tree_fit(f, label, '{"criterion": "gini", "max_depth": 4}') FROM trees_ref.tree_points)::text AS c,
       (SELECT portrait.regression_tree_fit(f, y, '{"criterion": "squared_error", "max_depth": 4, "min_samples_leaf": 10}') FROM trees_ref.tree_points)::text AS r;
CALL test_helpers.reset_parallel();
SELECT is((SELECT c FROM par), (SELECT m::text FROM fits WHERE setting = 'gini_d4'),
          'parallel decision_tree_fit (labels merged across workers) gives the identical model');
SELECT is((SELECT r FROM par), (SELECT m::text FROM fits WHERE setting = 'mse_d4_leaf10'),
          'parallel regression_tree_fit gives the identical model');
SELECT is('3;1;2;1,2,0,3,4,1;{}' || E'\n' || '61' || E'\n' || '62'::text,
          ('3;1;2;1,2,0,3,4,1;{}' || E'\n' || '61' || E'\n' || '62')::portrait.points::text,
          'a classification state with its labels reads back from text');

-- ---------- explain a segment: the k-means clusters of the sample data ----------

CREATE TEMP TABLE seg AS
SELECT customer_id, ARRAY[(date '2024-12-31' - max(ordered_at)::date)::float8, count(*)::float8,
                          greatest(coalesce(sum(amount), 0), 0)::float8] AS f
FROM demo.orders GROUP BY customer_id;
CREATE TEMP TABLE seg_km AS
SELECT portrait.kmeans_fit(ARRAY[ln(1 + f[1]), ln(f[2]), ln(1 + f[3])], 4, '{"seed": 1}') AS m FROM seg;
CREATE TEMP TABLE seg_c AS
SELECT s.customer_id, s.f, portrait.kmeans_assign(ARRAY[ln(1 + f[1]), ln(f[2]), ln(1 + f[3])], m)::text AS cluster
FROM seg s, seg_km;
CREATE TEMP TABLE seg_rules AS
SELECT portrait.segment_rules(f, cluster, '{"feature_names": ["recency", "frequency", "monetary"]}') AS r FROM seg_c;
SELECT ok((SELECT cardinality(r) BETWEEN 4 AND 8 FROM seg_rules), 'segment_rules: a rule per leaf of a depth-3 tree');
SELECT ok((SELECT bool_and(x ~ '^.* → [1-4] [0-9]+% \(n = [0-9]+\)$') FROM seg_rules, unnest(r) x),
          'each rule reads condition → segment purity (n = support)');
SELECT ok((SELECT bool_and(x ~ 'recency|frequency|monetary') FROM seg_rules, unnest(r) x), 'rules name the profile columns');
-- the same tree, scored: its rules describe the clusters well
SELECT ok((SELECT avg((portrait.tree_predict(m, f) = cluster)::int) > 0.85 FROM seg_c,
           (SELECT portrait.decision_tree_fit(f, cluster, jsonb_build_object('max_depth', 3, 'min_samples_leaf', (SELECT (count(*) + 99) / 100 FROM seg_c))) AS m FROM seg_c) t),
          'a depth-3 tree reproduces the k-means clusters for more than 85% of customers');
SELECT ok((SELECT bool_and(x ~ '→ 2 ') FROM seg_c, LATERAL unnest(NULL::text[]) x) IS NULL
          AND (SELECT bool_and(x ~ '→ 2 ') AND count(*) >= 1
               FROM (SELECT portrait.segment_rules(f, cluster, '{"segment": "2"}') AS r FROM seg_c) s, unnest(r) x),
          'segment_rules with a segment: only the rules that define that segment');
SELECT throws_ok($$SELECT portrait.segment_rules(f, cluster, '{"segment": "9"}') FROM seg_c$$,
                 '22023', 'segment "9" is not a label of any row', 'an unknown segment is refused (22023)');

-- ---------- decision_tree_train: one parallel histogram scan per level ----------

CREATE TEMP TABLE churn_exact AS
SELECT portrait.decision_tree_train('churn', 'f', 'label', '{"max_depth": 2, "max_bins": 1024, "feature_names": ["recency", "frequency"]}') AS m;
SELECT is((SELECT array_agg(condition ORDER BY leaf) FROM churn_exact, portrait.tree_rules(m)),
          ARRAY['frequency <= 2 AND recency <= 180', 'frequency <= 2 AND recency > 180', 'frequency > 2'],
          'decision_tree_train with a bin per value: decision_tree_fit''s tree, thresholds at the lower value');
SELECT is((SELECT array_agg(portrait.tree_predict(e.m, f) ORDER BY id) FROM churn, churn_exact e),
          (SELECT array_agg(portrait.tree_predict(m, f) ORDER BY id) FROM churn, churn_m),
          'decision_tree_train predicts as decision_tree_fit on every row');
SELECT is((SELECT m::jsonb ->> 'trainer' FROM churn_exact), 'decision_tree_train', 'the model names its trainer');
CREATE TEMP TABLE train_fix AS
SELECT portrait.decision_tree_train('trees_ref.tree_points'::regclass, 'f', 'label', '{"max_depth": 5, "max_bins": 64}') AS m;
SELECT ok((SELECT abs(avg((portrait.tree_predict(t.m, p.f) = p.label)::int) - avg((portrait.tree_predict(x.m, p.f) = p.label)::int)) <= 0.01
           FROM trees_ref.tree_points p, train_fix t,
                (SELECT portrait.decision_tree_fit(f, label, '{"max_depth": 5}') AS m FROM trees_ref.tree_points) x),
          '64 quantile bins: training accuracy within 1% of the exact tree');
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.tree_level(f, label, (SELECT m FROM train_fix), '{0}', '{a,b,c}', array_fill(0::float8, ARRAY[4 * 63])) FROM trees_ref.tree_points$$),
               'Partial Aggregate', 'decision_tree_train''s level scan runs as a partial aggregate in parallel workers');
CREATE TEMP TABLE train_par AS
SELECT portrait.decision_tree_train('trees_ref.tree_points'::regclass, 'f', 'label', '{"max_depth": 5, "max_bins": 64}')::text AS m;
CALL test_helpers.reset_parallel();
SELECT is((SELECT m FROM train_par), (SELECT m::text FROM train_fix), 'parallel decision_tree_train gives the identical model');
SELECT ok(portrait.decision_tree_train('SELECT f, label FROM churn WHERE false', 'f', 'label') IS NULL,
          'decision_tree_train of no rows is NULL');
SELECT throws_ok($$SELECT portrait.decision_tree_train('churn', 'f', 'label', '{"categorical": [1]}')$$,
                 '0A000', 'decision_tree_train does not split categorical features', 'decision_tree_train refuses categorical features (0A000)');
SELECT throws_ok($$SELECT portrait.tree_level_combine('{1,2}', '{1,2,3,4,5}')$$,
                 '0A000', NULL, 'tree_level''s combine outside its aggregate is refused (0A000)');
SELECT throws_ok($$SELECT portrait.decision_tree_train('churn', 'f', 'label', '{"max_bins": 1}')$$,
                 '22023', NULL, 'max_bins 1 is refused (22023)');

-- ---------- bad input ----------

SELECT throws_ok($$SELECT portrait.decision_tree_fit(f, label, '{"max_depth": 0}') FROM churn$$,
                 '22023', NULL, 'max_depth 0 is refused (22023)');
SELECT throws_ok($$SELECT portrait.decision_tree_fit(f, label, '{"min_samples_leaf": 0}') FROM churn$$,
                 '22023', NULL, 'min_samples_leaf 0 is refused (22023)');
SELECT throws_ok($$SELECT portrait.decision_tree_fit(f, label, '{"criterion": "squared_error"}') FROM churn$$,
                 '22023', NULL, 'a regression criterion for classes is refused (22023)');
SELECT throws_ok($$SELECT portrait.decision_tree_fit(f, label, '{"depth": 3}') FROM churn$$,
                 '0A000', NULL, 'an unknown option is refused (0A000)');
SELECT throws_ok($$SELECT portrait.decision_tree_fit(f, label, '{"class_weight": {"gone": 2}}') FROM churn$$,
                 '22023', 'class_weight names class "gone", which no row has', 'a weight of an unknown class is refused (22023)');
SELECT throws_ok($$SELECT portrait.decision_tree_fit(ARRAY[1, 'NaN']::float8[], 'a')$$,
                 '22000', NULL, 'a NaN feature is refused (22000)');
SELECT throws_ok($$SELECT portrait.regression_tree_fit(ARRAY[1, 2]::float8[], 'Infinity')$$,
                 '22000', NULL, 'an infinite target is refused (22000)');
SELECT throws_ok($$SELECT portrait.decision_tree_fit(ARRAY[g]::float8[], g::text) FROM generate_series(1, 1001) g$$,
                 '54000', NULL, 'more than 1000 classes are refused (54000)');
SELECT throws_ok($$SELECT portrait.tree_value(m, f) FROM churn_m, churn LIMIT 1$$,
                 '22023', NULL, 'tree_value needs a regression tree (22023)');
SELECT throws_ok($$SELECT portrait.tree_predict(m, '{1,2,3}') FROM churn_m$$,
                 '22023', 'features has 3 values but the model was fitted on 2', 'scoring checks the width (22023)');
SELECT throws_ok($$SELECT portrait.tree_rules(m) FROM seg_km$$,
                 '22023', NULL, 'tree_rules checks the model kind (22023)');
SELECT throws_ok($$SELECT jsonb_set(m::jsonb, '{node_right}', '[1, -1, -1]')::text::portrait.model FROM churn_m$$,
                 '22P02', NULL, 'a model whose nodes are not a tree is refused (22P02)');
SELECT throws_ok($$SELECT portrait.tree_predict(m, '{1, NaN}') FROM churn_m$$,
                 '22000', NULL, 'a NaN feature in scoring is refused (22000)');
SELECT is((SELECT portrait.tree_predict(m, '{NULL, NULL}') FROM churn_m), 'active',
          'a row of NULL features follows the larger children');
SET LOCAL portrait.fit_memory_limit = 64;
SELECT throws_ok($$SELECT portrait.decision_tree_fit(f, label) FROM trees_ref.tree_points$$,
                 '54000', NULL, 'the rows are checked against portrait.fit_memory_limit (54000)');
RESET portrait.fit_memory_limit;

-- the final functions are SQL-callable and states have a text form: a state
-- that its aggregate did not make is refused, never read as class labels
CREATE AGGREGATE pg_temp.other_points(float8, float8, float8) (
    SFUNC = portrait.rfm_breaks_trans, STYPE = portrait.points);
SELECT throws_ok($$SELECT portrait.decision_tree_fit_final(pg_temp.other_points(i, i, i)) FROM generate_series(1, 5) i$$,
                 '22023', 'the state passed to decision_tree_fit was not made by its aggregate',
                 'a points state of another aggregate is refused by decision_tree_fit_final (22023)');
SELECT throws_ok($$SELECT portrait.regression_tree_fit_final(pg_temp.other_points(i, i, i)) FROM generate_series(1, 5) i$$,
                 '22023', 'the state passed to regression_tree_fit was not made by its aggregate',
                 'and by regression_tree_fit_final (22023)');
SELECT throws_ok($$SELECT portrait.decision_tree_fit_final(E'3;1;3;1,2,0,2,4,7,3,6,0;{}\n31\n30'::portrait.points)$$,
                 '22023', 'the state passed to decision_tree_fit was not made by its aggregate',
                 'a typed-in state whose class number is past its labels is refused (22023)');

SELECT * FROM finish();
ROLLBACK;
