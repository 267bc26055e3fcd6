-- Anomalous customers: an isolation forest scores how easy a customer is to
-- isolate; robust z-scores say which features make them unusual.

-- 500 ordinary customers (orders, average amount, days since the last
-- order), generated without randomness, and three planted oddities.
CREATE TABLE if_customers (id int, f float8[]);
INSERT INTO if_customers
SELECT g, ARRAY[3 + g % 5, 40 + (g * 37) % 21, 10 + (g * 53) % 60]::float8[]
  FROM generate_series(1, 500) g;
INSERT INTO if_customers VALUES
    (901, '{45, 50, 30}'),     -- far too many orders
    (902, '{4, 900, 20}'),     -- a huge average basket
    (903, '{1, 2, 400}'),      -- one tiny order, long ago
    (904, NULL);               -- a NULL features array is skipped

-- The forest: 100 trees, each on a seeded sample of 256 customers.  The
-- rows are sorted before sampling, so the model depends only on the rows
-- and the seed (not on row order or parallel plans).
SELECT portrait.iforest_fit(f, '{"seed": 42, "feature_names": ["orders", "avg amount", "recency days"]}') AS m
  FROM if_customers \gset
SELECT portrait.model_kind(:'m'),
       (:'m'::portrait.model::jsonb) -> 'n' AS n,
       (:'m'::portrait.model::jsonb) -> 'max_samples' AS max_samples,
       (:'m'::portrait.model::jsonb) -> 'median' AS median,
       (:'m'::portrait.model::jsonb) -> 'scale' AS scale;

-- Scores in (0, 1], scikit-learn's convention: 2^(-E[h] / c(256)); around
-- 0.5 and below is ordinary, near 1 is anomalous.  (scikit-learn's
-- score_samples is the negative of this.)
SELECT id, round(portrait.anomaly_score(:'m', f)::numeric, 3) AS score
  FROM if_customers WHERE f IS NOT NULL
 ORDER BY portrait.anomaly_score(:'m', f) DESC, id LIMIT 5;

-- Why: features at least 2 robust z from the median, strongest first.
-- robust z = (x - median) / (1.4826 MAD); "MAD" in the sentence is that scale.
SELECT c.id, r.rank, r.feature, r.value, r.median, round(r.robust_z::numeric, 1) AS robust_z, r.reason
  FROM if_customers c, portrait.anomaly_reasons(:'m', c.f) r
 WHERE c.id > 900 ORDER BY c.id, r.rank;

-- Every robust z of one customer; an ordinary one has no reasons.
SELECT (SELECT array_agg(round(z::numeric, 2)) FROM unnest(portrait.anomaly_robust_z(:'m', '{45, 50, 30}')) z) AS z;
SELECT count(*) AS reasons FROM portrait.anomaly_reasons(:'m', '{5, 50, 40}');

-- Errors.
SELECT portrait.iforest_fit(f) FROM (VALUES ('{1, NULL}'::float8[]), ('{2, 3}')) v(f);
SELECT portrait.iforest_fit(f, '{"n_trees": 0}') FROM if_customers;
SELECT portrait.anomaly_score(:'m', '{1, 2}');

DROP TABLE if_customers;
