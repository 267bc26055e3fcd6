-- Hierarchical (agglomerative) clustering: fit, draw the dendrogram, cut it.

-- Seven customers with two features: two tight pairs, a group of three.
CREATE TABLE hc_customers (id bigint, f float8[]);
INSERT INTO hc_customers VALUES
    (1, '{0.0, 0.0}'), (2, '{0.0, 1.0}'),
    (3, '{5.0, 5.0}'), (4, '{5.0, 6.5}'),
    (5, '{10.0, 0.0}'), (6, '{11.0, 0.0}'), (7, '{10.0, 2.0}'),
    (8, NULL);                             -- a NULL row is skipped

-- Ward linkage on the raw features.
SELECT portrait.hclust_fit(id, f, 'ward', '{"standardize": false}') AS m FROM hc_customers \gset

-- The dendrogram as scipy's linkage matrix: ids 0..6 are the rows in key
-- order (id 1 is 0), the cluster made at step s has id 7 + s - 1.
SELECT step, cluster_a, cluster_b, round(height::numeric, 6) AS height, size
  FROM portrait.hclust_merges(:'m');

-- Cut into 3 clusters, or at a height: clusters numbered by their lowest key.
SELECT c3.key, c3.cluster AS k3, h.cluster AS below_3
  FROM portrait.hclust_cut(:'m', 3) c3 JOIN portrait.hclust_cut_height(:'m', 3) h USING (key)
 ORDER BY key;

-- The other linkages.
SELECT method, array_agg(round(height::numeric, 4) ORDER BY step) AS heights
  FROM unnest(ARRAY['complete', 'average', 'single']) method,
       LATERAL (SELECT portrait.hclust_fit(id, f, method, '{"standardize": false}') AS m FROM hc_customers) s,
       portrait.hclust_merges(s.m)
 GROUP BY method ORDER BY method;

-- Larger tables, two steps: k-means micro-clusters, then Ward on them
-- (weighted by size); customers get their micro-cluster's cut label.
SELECT portrait.kmeans_fit(f, 4, '{"seed": 1, "standardize": false}') AS km FROM hc_customers \gset
SELECT portrait.hclust_kmeans(:'km', 'ward') AS hm \gset
SELECT c.id, portrait.kmeans_assign(c.f, :'km') AS micro, cut.cluster
  FROM hc_customers c JOIN portrait.hclust_cut(:'hm', 2) cut ON cut.key = portrait.kmeans_assign(c.f, :'km')
 ORDER BY c.id;

-- Bad input.
SELECT portrait.hclust_fit(id, f, 'median') FROM hc_customers;
SELECT * FROM portrait.hclust_cut(:'m', 8);

DROP TABLE hc_customers;
