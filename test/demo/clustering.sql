-- Density and hierarchical clustering of the customers scored by test/demo/portrait.sql
-- (run after it in the same session: it reads the temp table scored).

CREATE TEMP TABLE cluster_features AS
SELECT customer_id, ARRAY[ln(1 + recency_days), ln(frequency), ln(1 + greatest(monetary, 0))]::float8[] AS f
FROM scored;

\echo
\echo '== DBSCAN on standardized log-RFM (eps 0.25, min_samples 20): dense groups and outliers'
SELECT portrait.dbscan_fit(customer_id, f, 0.25, 20) AS dbm FROM cluster_features \gset
SELECT cluster, count(*) AS customers, count(*) FILTER (WHERE core) AS core_points
  FROM portrait.dbscan_labels(:'dbm') GROUP BY cluster ORDER BY cluster;

\echo
\echo '== Ward on 5000 customers (every tenth): the last merges of the dendrogram, then 4 segments'
SELECT portrait.hclust_fit(customer_id, f, 'ward') AS hcm FROM cluster_features WHERE customer_id % 10 = 0 \gset
SELECT step, cluster_a, cluster_b, round(height::numeric, 2) AS height, size
  FROM portrait.hclust_merges(:'hcm') ORDER BY step DESC LIMIT 5;
SELECT cut.cluster, count(*) AS customers, round(avg(s.recency_days), 0) AS avg_recency_days,
       round(avg(s.frequency), 1) AS avg_frequency, round(avg(s.monetary)::numeric, 0) AS avg_monetary
  FROM portrait.hclust_cut(:'hcm', 4) cut JOIN scored s ON s.customer_id = cut.key
 GROUP BY 1 ORDER BY 1;

\echo
\echo '== Every customer, two steps: 500 k-means micro-clusters, Ward on them, 4 segments'
SELECT portrait.kmeans_fit(f, 500, '{"seed": 1, "n_init": 1}') AS km FROM cluster_features \gset
SELECT portrait.hclust_kmeans(:'km', 'ward') AS hkm \gset
SELECT cut.cluster, count(*) AS customers
  FROM cluster_features c JOIN portrait.hclust_cut(:'hkm', 4) cut ON cut.key = portrait.kmeans_assign(c.f, :'km')
 GROUP BY 1 ORDER BY 1;
