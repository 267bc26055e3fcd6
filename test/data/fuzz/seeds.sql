-- The seed models of the newer kinds in test/model_fuzz.py: small fits whose
-- text output is pasted there (psql -At -f test/data/fuzz/seeds.sql).
CREATE TEMP TABLE s AS SELECT g, ARRAY[(g * 7) % 11, (g * 13) % 17 / 2.0]::float8[] AS f,
  (g % 5)::float8 AS x, CASE WHEN g % 5 = 0 THEN 0 ELSE (g % 5) * 3.0 + (g % 3) END AS t_x, 20.0 + g % 7 AS t FROM generate_series(1, 40) g;
SELECT portrait.item_similarity(g % 9, 'i' || (g * 7 % 5), '{"top": 2}')::text FROM s;
SELECT portrait.dbscan_fit(g, f, 1.0, 2)::text FROM s WHERE g <= 12;
SELECT portrait.hclust_fit(g, f, 'ward')::text FROM s WHERE g <= 6;
SELECT portrait.hclust_kmeans((SELECT portrait.kmeans_fit(f, 3, '{"seed": 1}') FROM s), 'average')::text;
SELECT portrait.iforest_fit(f, '{"seed": 1, "n_trees": 2, "max_samples": 8, "feature_names": ["a", "b"]}')::text FROM s;
SELECT portrait.decision_tree_fit(f, CASE WHEN f[1] > 5 THEN 'hi' ELSE 'lo' END, '{"max_depth": 2}')::text FROM s;
SELECT portrait.regression_tree_fit(f, f[1] * 2 + f[2], '{"max_depth": 2}')::text FROM s;
SELECT portrait.attribution_markov_model((SELECT portrait.attribution(j) FROM (SELECT portrait.journeys(timestamptz '2024-01-01' + g * interval '1 hour', (ARRAY['ads', 'mail', 'seo'])[1 + g % 3], 0, g > 36) AS j FROM s GROUP BY g % 6) z))::text;
