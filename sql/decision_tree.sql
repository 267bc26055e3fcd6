-- Readable decision rules: CART trees of a class or a value, printed as
-- rules with support and purity, and scoring rows.

-- 2190 customers: days since the last order and orders in a year; those
-- who have not ordered for six months and ordered at most twice churned.
CREATE TABLE dt_customers (id int, f float8[], churned boolean, spend float8, label text);
INSERT INTO dt_customers
SELECT g, ARRAY[(g % 365) + 1, (g / 365) % 6 + 1]::float8[],
       (g % 365) + 1 > 180 AND (g / 365) % 6 + 1 <= 2,
       20 * ((g / 365) % 6 + 1) - (g % 365) / 10.0
  FROM generate_series(0, 2189) g;
UPDATE dt_customers SET label = CASE WHEN churned THEN 'churned' ELSE 'active' END;

-- A classification tree (gini, depth 2).  Labels are text; a boolean reads
-- as 'true' / 'false', or name the classes with CASE.
SELECT portrait.decision_tree_fit(f, CASE WHEN churned THEN 'churned' ELSE 'active' END,
                                  '{"max_depth": 2, "feature_names": ["recency", "frequency"]}') AS m
  FROM dt_customers \gset

-- The rules: one per leaf, with its purity (share of its rows in the
-- predicted class) and support.
SELECT leaf, rule, round(share::numeric, 3) AS share FROM portrait.tree_rules(:'m');

-- The nodes, numbered as scikit-learn numbers them (preorder, left first).
SELECT node, depth, feature_name, threshold, left_child, right_child, n, prediction,
       round(impurity::numeric, 4) AS impurity
  FROM portrait.tree_nodes(:'m');

-- Scoring: the class, the probability of a class, the leaf.
SELECT f, portrait.tree_predict(:'m', f) AS class,
       round(portrait.tree_probability(:'m', f, 'churned')::numeric, 3) AS p_churned,
       portrait.tree_leaf(:'m', f) AS leaf
  FROM (VALUES ('{200, 1}'::float8[]), ('{30, 1}'), ('{300, 5}'), ('{NULL, 1}')) v(f);

-- A regression tree of spend (squared error).
SELECT leaf, rule FROM portrait.tree_rules(
    (SELECT portrait.regression_tree_fit(f, spend, '{"max_depth": 2, "min_samples_leaf": 100, "feature_names": ["recency", "frequency"]}')
       FROM dt_customers));

-- Class weights: churners count three times, so more leaves call churn.
SELECT rule FROM portrait.tree_rules(
    (SELECT portrait.decision_tree_fit(f, CASE WHEN churned THEN 'churned' ELSE 'active' END,
                                       '{"max_depth": 1, "class_weight": {"churned": 3}, "feature_names": ["recency", "frequency"]}')
       FROM dt_customers));

-- A categorical feature (a region code): a split sends a set of levels left.
SELECT rule FROM portrait.tree_rules(
    (SELECT portrait.decision_tree_fit(ARRAY[g % 4 + 1]::float8[], CASE WHEN g % 4 IN (0, 2) THEN 'north' ELSE 'south' END,
                                       '{"max_depth": 1, "categorical": ["region"], "feature_names": ["region"]}')
       FROM generate_series(1, 400) g));

-- Explaining segments: the rules of a shallow tree of segment membership.
SELECT unnest(portrait.segment_rules(f, CASE WHEN f[1] > 180 THEN 'lapsed' WHEN f[2] >= 4 THEN 'loyal' ELSE 'casual' END,
                                     '{"feature_names": ["recency", "frequency"]}')) AS rule
  FROM dt_customers;
-- one segment against the rest: only the rules that define it
SELECT unnest(portrait.segment_rules(f, CASE WHEN f[1] > 180 THEN 'lapsed' WHEN f[2] >= 4 THEN 'loyal' ELSE 'casual' END,
                                     '{"segment": "loyal", "feature_names": ["recency", "frequency"]}')) AS rule
  FROM dt_customers;

-- Past memory, or on a distributed table: decision_tree_train scans the
-- table once per level (a parallel aggregate of per-leaf histograms over
-- max_bins quantile bins); thresholds are bin edges, data values.
SELECT rule FROM portrait.tree_rules(
    portrait.decision_tree_train('dt_customers', 'f', 'label',
                                 '{"max_depth": 2, "max_bins": 16, "feature_names": ["recency", "frequency"]}'));

-- Errors.
SELECT portrait.decision_tree_fit(f, 'x', '{"max_depth": 0}') FROM dt_customers;
SELECT portrait.decision_tree_fit(f, 'x', '{"min_samples_leaf": 0}') FROM dt_customers;
SELECT portrait.tree_value(:'m', '{1, 2}');

DROP TABLE dt_customers;
