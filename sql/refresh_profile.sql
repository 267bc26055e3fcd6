-- refresh_profile: a profile table kept equal to a query, with history,
-- a guard against a source that lost its rows, and a dry run.
SET client_min_messages = notice;
\set SHOW_CONTEXT never
CREATE TABLE orders_summary (customer_id int, segment text);
INSERT INTO orders_summary VALUES (1, 'Champions'), (2, 'Loyal'), (3, 'At Risk'), (4, 'New');
CREATE TABLE customer_profile (customer_id int PRIMARY KEY, segment text);

CALL portrait.refresh_profile('customer_profile', 'SELECT customer_id, segment FROM orders_summary');
SELECT inserted, updated, deleted, unchanged, status FROM portrait.profile_run
 WHERE target_table = 'customer_profile'::regclass ORDER BY run_id;

-- customer 3 came back, customer 4 left the source
UPDATE orders_summary SET segment = 'Loyal' WHERE customer_id = 3;
DELETE FROM orders_summary WHERE customer_id = 4;

-- a dry run says what would change and changes nothing
CALL portrait.refresh_profile('customer_profile', 'SELECT customer_id, segment FROM orders_summary',
                              options => '{"dry_run": true}');
SELECT * FROM customer_profile ORDER BY customer_id;

CALL portrait.refresh_profile('customer_profile', 'SELECT customer_id, segment FROM orders_summary');
SELECT key, op, column_name, old_value, new_value FROM portrait.profile_history
 WHERE target_table = 'customer_profile'::regclass AND op <> 'insert' ORDER BY key, op;

-- the staging table was emptied by a failed load: the refresh refuses to
-- delete more than half of the profile (max_delete_share, 0.5 by default)
TRUNCATE orders_summary;
CALL portrait.refresh_profile('customer_profile', 'SELECT customer_id, segment FROM orders_summary');
SELECT count(*) AS profile_rows FROM customer_profile;

-- a source must be one query
CALL portrait.refresh_profile('customer_profile', 'SELECT 1 AS customer_id, ''x'' AS segment; DROP TABLE customer_profile');
-- errors of the source are the source's, without the statements built around it
CALL portrait.refresh_profile('customer_profile', 'SELECT 1 AS customer_id, ''x'' AS segmnt');
CALL portrait.refresh_profile('customer_profile', 'SELECT 1 AS customer_id, (1 / 0)::text AS segment');

-- a refresh of unchanged data changes nothing: run twice, the second updates 0 rows
INSERT INTO orders_summary VALUES (1, 'Champions'), (2, 'Loyal'), (3, 'At Risk');
CALL portrait.refresh_profile('customer_profile', 'SELECT customer_id, segment FROM orders_summary', options => '{"max_delete_share": 1}');
CALL portrait.refresh_profile('customer_profile', 'SELECT customer_id, segment FROM orders_summary');
SELECT inserted, updated, deleted, unchanged FROM portrait.profile_run
 WHERE target_table = 'customer_profile'::regclass ORDER BY run_id DESC LIMIT 1;

-- BI views show money as numeric rounded to cents, and the cluster's label
CREATE TABLE money_profile (customer_id int PRIMARY KEY, segment text, monetary float8, cluster int, cluster_label text);
INSERT INTO money_profile SELECT g, 'all', 0.1, 1, 'very recent, high monetary' FROM generate_series(1, 10) g;
SELECT sum(monetary) AS float8_sum FROM money_profile;
SELECT portrait.profile_views('money_profile');
SELECT segment, customers, revenue, avg_monetary, pg_typeof(revenue) FROM money_profile_segments;
SELECT cluster, label, customers, revenue FROM money_profile_clusters;
DROP TABLE money_profile CASCADE;

DROP TABLE customer_profile, orders_summary;
