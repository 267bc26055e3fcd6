-- k-means against scikit-learn (test/data/kmeans/make_reference.py): the
-- same explicit initial centroids give the same centroids (1e-6) and labels;
-- k-means++ with n_init = 10 reaches an inertia within 1% of scikit-learn's;
-- the exact silhouette equals silhouette_score.
BEGIN;
SELECT plan(23);
SET LOCAL TimeZone = 'Asia/Shanghai';

-- the customers' log-RFM features, as exported into customers.csv
CREATE TEMP TABLE cust AS
SELECT customer_id AS id,
       ARRAY[ln(1 + (date '2024-12-31' - max(ordered_at)::date)::float8), ln(count(*)::float8),
             ln(1 + greatest(coalesce(sum(amount), 0), 0)::float8)] AS f
  FROM demo.orders WHERE customer_id % 5 = 0 GROUP BY customer_id;

CREATE TEMP VIEW data AS
SELECT dataset, id, label, f FROM kmeans_ref.points
UNION ALL SELECT 'customers', id::int, NULL, f FROM cust;

CREATE TEMP TABLE fits AS
SELECT r.dataset,
       (SELECT portrait.kmeans_fit(d.f, r.k, jsonb_build_object('init', r.init, 'standardize', r.standardize,
                                                                  'tol', 0, 'max_iter', 300))
          FROM data d WHERE d.dataset = r.dataset) AS explicit,
       (SELECT portrait.kmeans_fit(d.f, r.k, jsonb_build_object('standardize', r.standardize, 'n_init', 10, 'seed', 1))
          FROM data d WHERE d.dataset = r.dataset) AS pp
  FROM kmeans_ref.reference r;

-- largest difference between our centroids (in the space clustered) and scikit-learn's
CREATE TEMP VIEW centroid_diff AS
SELECT f.dataset, max(abs((f.explicit::jsonb -> 'centroids_scaled' -> j ->> c)::float8 - (r.centroids -> j ->> c)::float8)) AS diff
  FROM fits f JOIN kmeans_ref.reference r USING (dataset),
       generate_series(0, r.k - 1) j, generate_series(0, jsonb_array_length(r.centroids -> 0) - 1) c
 GROUP BY f.dataset;

SELECT cmp_ok((SELECT diff FROM centroid_diff WHERE dataset = s), '<', 1e-6::float8,
              s || ': same explicit init, same centroids within 1e-6 (max difference ' || (SELECT diff FROM centroid_diff WHERE dataset = s) || ')')
  FROM unnest(ARRAY['blobs', 'anisotropic', 'dominant', 'customers']) s;

SELECT is((SELECT count(*)::int FROM kmeans_ref.points p JOIN fits f USING (dataset)
            WHERE p.dataset = s AND portrait.kmeans_assign(p.f, f.explicit) - 1 <> p.label), 0,
          s || ': same explicit init, same label for every row')
  FROM unnest(ARRAY['blobs', 'anisotropic', 'dominant']) s;

SELECT is((SELECT (f.explicit::jsonb ->> 'iterations')::int FROM fits f WHERE dataset = s),
          (SELECT n_iter FROM kmeans_ref.reference WHERE dataset = s), s || ': same number of iterations')
  FROM unnest(ARRAY['blobs', 'anisotropic', 'dominant', 'customers']) s;

SELECT cmp_ok((SELECT abs((f.explicit::jsonb ->> 'inertia')::float8 / r.inertia - 1) FROM fits f JOIN kmeans_ref.reference r USING (dataset)
                WHERE dataset = s), '<', 1e-9::float8, s || ': same explicit init, same inertia (1e-9 relative)')
  FROM unnest(ARRAY['blobs', 'anisotropic', 'dominant', 'customers']) s;

SELECT cmp_ok((SELECT abs((f.pp::jsonb ->> 'inertia')::float8 / r.pp_inertia - 1) FROM fits f JOIN kmeans_ref.reference r USING (dataset)
                WHERE dataset = s), '<=', 0.01::float8,
              s || ': k-means++, n_init 10: inertia within 1% of scikit-learn''s (ours '
                || (SELECT round((f.pp::jsonb ->> 'inertia')::numeric, 4) FROM fits f WHERE dataset = s) || ', scikit-learn '
                || (SELECT round(pp_inertia::numeric, 4) FROM kmeans_ref.reference WHERE dataset = s) || ')')
  FROM unnest(ARRAY['blobs', 'anisotropic', 'dominant', 'customers']) s;

SELECT cmp_ok((SELECT abs((portrait.silhouette(p.f, p.label)).silhouette / r.silhouette - 1)
                 FROM kmeans_ref.points p JOIN kmeans_ref.reference r USING (dataset) WHERE dataset = s GROUP BY r.silhouette),
              '<', 1e-9::float8, s || ': exact silhouette equals scikit-learn''s silhouette_score (1e-9 relative)')
  FROM unnest(ARRAY['blobs', 'anisotropic', 'dominant']) s;

SELECT set_eq($$SELECT dataset, portrait.kmeans_fit(f, 3, '{"seed": 1}')::text FROM kmeans_ref.points GROUP BY dataset$$,
              $$SELECT dataset, (SELECT portrait.kmeans_fit(f, 3, '{"seed": 1}')::text FROM kmeans_ref.points p WHERE p.dataset = d.dataset)
                  FROM (SELECT DISTINCT dataset FROM kmeans_ref.points) d$$,
              'one model per group with GROUP BY: the same models as separate fits');

SELECT * FROM finish();
ROLLBACK;
