-- k-means segmentation: fit, read the segments, tag rows.

-- Eight customers with two features (say, log frequency and log monetary).
CREATE TABLE km_customers (id int, f float8[]);
INSERT INTO km_customers VALUES
    (1, '{0.0, 3.0}'), (2, '{0.2, 3.2}'), (3, '{0.1, 2.9}'),
    (4, '{2.0, 6.0}'), (5, '{2.2, 6.3}'), (6, '{1.9, 5.8}'),
    (7, '{2.1, 3.1}'), (8, NULL);          -- a NULL row is skipped

-- The fit: k = 2, k-means++ with 10 restarts, features standardized.
SELECT portrait.kmeans_fit(f, 2, '{"seed": 1, "feature_names": ["frequency", "monetary"]}') AS m
  FROM km_customers \gset
SELECT jsonb_pretty(:'m'::portrait.model::jsonb - 'centroids_scaled' - 'mean' - 'sd');

-- One row per segment: size, share, centroid in original units, deviation
-- from the population in standard units, and a readable label.
SELECT cluster, size, round(share::numeric, 3) AS share,
       (SELECT array_agg(round(v::numeric, 3)) FROM unnest(centroid) v) AS centroid,
       (SELECT array_agg(round(v::numeric, 2)) FROM unnest(deviation) v) AS deviation, label
  FROM portrait.kmeans_centroids(:'m');

-- A recency feature (days since the last purchase) is labelled recent or lapsed.
SELECT cluster, label
  FROM portrait.kmeans_centroids((SELECT portrait.kmeans_fit(f, 2, '{"seed": 1, "feature_names": ["recency_days", "monetary"]}')
                                    FROM km_customers));

-- Tag every customer; kmeans_distance is an outlier score (standard units).
SELECT id, portrait.kmeans_assign(f, :'m') AS segment,
       round(portrait.kmeans_distance(f, :'m')::numeric, 3) AS distance
  FROM km_customers ORDER BY id;

-- Explicit initial centroids (original units), no scaling: the scikit-learn
-- setting init=array, n_init=1.
SELECT (m::jsonb) -> 'centroids' AS centroids, (m::jsonb) -> 'sizes' AS sizes,
       round(((m::jsonb) ->> 'inertia')::numeric, 6) AS inertia
  FROM (SELECT portrait.kmeans_fit(f, 2, '{"init": [[0, 3], [2, 6]], "standardize": false}') AS m
          FROM km_customers) s;

-- Choosing k: inertia and silhouette for k = 2 and 3 in one statement
-- (silhouette in the model's space: kmeans_scale).
SELECT k, round(((m::jsonb) ->> 'inertia')::numeric, 4) AS inertia,
       round((s).silhouette::numeric, 4) AS silhouette, (s).n, (s).exact
  FROM generate_series(2, 3) k,
       LATERAL (SELECT portrait.kmeans_fit(f, k, '{"seed": 1}') AS m FROM km_customers) fit,
       LATERAL (SELECT portrait.silhouette(portrait.kmeans_scale(f, fit.m), portrait.kmeans_assign(f, fit.m)) AS s
                  FROM km_customers) sil
 ORDER BY k;

-- The streaming trainer over a table: one aggregate scan per iteration.
SELECT (m::jsonb) -> 'centroids' AS centroids, (m::jsonb) -> 'sizes' AS sizes, (m::jsonb) ->> 'trainer' AS trainer
  FROM (SELECT portrait.kmeans_train('km_customers'::regclass, 'f', 2, '{"seed": 1}') AS m) s;

-- Errors.
\set VERBOSITY sqlstate
SELECT portrait.kmeans_fit(f, 9) FROM km_customers;
SELECT portrait.kmeans_fit(ARRAY[1, 'NaN']::float8[], 1);
SELECT portrait.kmeans_assign('{1, 2, 3}', :'m');
\set VERBOSITY default
SELECT portrait.kmeans_fit(f, 9) FROM km_customers;
-- values so large that their mean or variance overflows: about the input, not a model
SELECT portrait.kmeans_fit(ARRAY[1e308, 1], 1) FROM generate_series(1, 3);
SELECT portrait.kmeans_fit(f, 1) FROM (VALUES (ARRAY[1e308, 1]::float8[]), (ARRAY[-1e308, 2])) v(f);

DROP TABLE km_customers;
