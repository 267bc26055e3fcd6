-- DBSCAN density clustering: fit, read the labels, assign new rows, profile
-- a cluster.

-- Ten customers with two features: two dense groups, a point between them
-- and an outlier.
CREATE TABLE db_customers (id bigint, f float8[], region text);
INSERT INTO db_customers VALUES
    (1, '{1.0, 1.0}', 'north'), (2, '{1.1, 1.0}', 'north'), (3, '{1.0, 1.1}', 'north'), (4, '{1.1, 1.1}', 'south'),
    (5, '{3.0, 3.0}', 'south'), (6, '{3.1, 3.0}', 'south'), (7, '{3.0, 3.1}', 'south'), (8, '{3.1, 3.1}', 'north'),
    (9, '{1.25, 1.0}', 'north'),           -- a border point of the first group
    (10, '{9.0, 0.0}', 'west'),            -- noise
    (11, NULL, 'west');                    -- a NULL row is skipped

-- The fit on the raw features: eps = 0.2, min_samples = 4 (the point itself counts).
SELECT portrait.dbscan_fit(id, f, 0.2, 4, '{"standardize": false}') AS m FROM db_customers \gset
SELECT m->'n' AS n, m->'n_clusters' AS clusters, m->'n_noise' AS noise, m->'core_labels' AS core_labels
  FROM (SELECT :'m'::portrait.model::jsonb AS m) s;

-- Labels per key: clusters 1, 2, ... in the order of their first core point
-- by key; -1 is noise.
SELECT * FROM portrait.dbscan_labels(:'m') ORDER BY key;

-- New rows: the cluster of the nearest core point within eps, else -1.
SELECT f, portrait.dbscan_assign(f, :'m') AS cluster
  FROM (VALUES ('{1.05, 1.05}'::float8[]), ('{3.2, 3.0}'), ('{2.0, 2.0}')) v(f);

-- Standardized features (the default): eps is in standard units.
SELECT m->'n_clusters' AS clusters, m->'n_noise' AS noise
  FROM (SELECT portrait.dbscan_fit(id, f, 0.1, 4)::jsonb AS m FROM db_customers) s;

-- The labels feed the segment profile (TGI) statistics like any segment column.
SELECT attribute, value, round(tgi::numeric, 1) AS tgi
  FROM (SELECT portrait.tgi(l.cluster = 1, jsonb_build_object('region', c.region)) AS p
          FROM db_customers c JOIN portrait.dbscan_labels(:'m') l ON l.key = c.id) s,
       portrait.tgi_table(p)
 ORDER BY attribute, value;

-- Bad input.
SELECT portrait.dbscan_fit(id, f, 0, 4) FROM db_customers;
SELECT portrait.dbscan_fit(id, f, 0.2, 0) FROM db_customers;
SELECT portrait.dbscan_fit(id, ARRAY[1, 'NaN']::float8[], 0.2, 4) FROM db_customers;
SELECT portrait.dbscan_assign('{1, 2, 3}', :'m');

DROP TABLE db_customers;
