-- The playground of the random-SQL run (test/sqlsmith.sh): a read-only role,
-- small tables drawn from the sample data with a column of every pg_portrait
-- type (fitted models and aggregate states included, so scoring and combine
-- functions get real values, not only NULLs), and a filtered pg_proc that
-- shadows the catalog's for that role (its search_path names schema smith
-- before pg_catalog), so the generator calls pg_portrait's functions and a
-- few array and aggregate helpers instead of the whole catalog.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS smith CASCADE;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'portrait_smith') THEN
        DROP OWNED BY portrait_smith;
        DROP ROLE portrait_smith;
    END IF;
END $$;
CREATE ROLE portrait_smith LOGIN;
CREATE SCHEMA smith;

CREATE TABLE smith.customers AS
SELECT c.customer_id, c.region, c.channel, c.signup_at,
       s.recency::int AS recency, s.frequency::int AS frequency, s.monetary AS monetary,
       greatest(s.frequency - 1, 0)::float8 AS x,
       s.span_days::float8 AS t_x, s.tenure_days::float8 AS t,
       (s.monetary / greatest(s.frequency, 1))::float8 AS avg_value,
       ARRAY[s.recency, s.frequency, s.monetary]::float8[] AS features,
       s.recency > 180 AS churned
FROM demo.customers c
CROSS JOIN LATERAL (
    SELECT extract(epoch FROM timestamptz '2025-01-01' - max(o.ordered_at)) / 86400 AS recency,
           count(*) AS frequency, coalesce(sum(o.amount), 0)::float8 AS monetary,
           extract(epoch FROM max(o.ordered_at) - min(o.ordered_at)) / 86400 AS span_days,
           extract(epoch FROM timestamptz '2025-01-01' - min(o.ordered_at)) / 86400 AS tenure_days
    FROM demo.orders o WHERE o.customer_id = c.customer_id) s
WHERE c.customer_id % 250 = 0 AND s.frequency > 0;

CREATE TABLE smith.orders AS
SELECT o.order_id, o.customer_id, o.ordered_at, o.amount
FROM demo.orders o JOIN smith.customers USING (customer_id);

CREATE TABLE smith.events AS
SELECT e.uid, e.ts, e.name, e.name = 'view' AS is_view, ARRAY[e.name = 'view', e.name = 'cart'] AS steps
FROM behaviour_events e WHERE e.uid % 40 = 0;

-- order lines made from the orders (1-3 SKUs each), for the basket and recommendation functions
CREATE TABLE smith.order_lines AS
SELECT o.order_id, o.customer_id, o.ordered_at, 'cat' || (n % 3) AS category,
       'sku' || ((hashint8(o.order_id * 4 + n) & 2147483647) % 30) AS sku, o.amount / 2 AS amount
FROM smith.orders o CROSS JOIN LATERAL generate_series(1, 1 + (o.order_id % 3)::int) n;

CREATE TABLE smith.models AS
SELECT 'rfm'::text AS kind, portrait.rfm_breaks(recency, frequency, monetary) AS model FROM smith.customers
UNION ALL SELECT 'bgnbd', portrait.bgnbd_fit(x, t_x / 7, t / 7) FROM smith.customers
UNION ALL SELECT 'gamma_gamma', portrait.gamma_gamma_fit(x, avg_value) FROM smith.customers WHERE x > 0 AND avg_value > 0
UNION ALL SELECT 'logit', portrait.logit_fit(churned, ARRAY[frequency, monetary]::float8[], '{"lambda": 1}') FROM smith.customers
UNION ALL SELECT 'kmeans', portrait.kmeans_fit(features, 3, '{"seed": 1}') FROM smith.customers
UNION ALL SELECT 'isolation_forest', portrait.iforest_fit(features, '{"seed": 1, "n_trees": 10}') FROM smith.customers
UNION ALL SELECT 'decision_tree', portrait.decision_tree_fit(features, churned::text, '{"max_depth": 3}') FROM smith.customers
UNION ALL SELECT 'dbscan', portrait.dbscan_fit(customer_id, features, 0.5, 3) FROM smith.customers
UNION ALL SELECT 'hierarchical', portrait.hclust_fit(customer_id, features, 'ward') FROM smith.customers
UNION ALL SELECT 'item_similarity', portrait.item_similarity(customer_id, sku, '{"top": 5}') FROM smith.order_lines;

-- aggregate states (the transition functions only run inside an aggregate,
-- so aggregates without a final function hand them out) and composite results
CREATE AGGREGATE smith.points_state(float8, float8, float8) (
    SFUNC = portrait.rfm_breaks_trans, STYPE = portrait.points);
CREATE AGGREGATE smith.event_list_state(text, timestamptz, boolean[]) (
    SFUNC = portrait.sequence_trans, STYPE = portrait.event_list);
CREATE AGGREGATE smith.ab_state_state(text, boolean) (
    SFUNC = portrait.ab_conversion_trans, STYPE = portrait.ab_state);
CREATE AGGREGATE smith.cohort_state_state(timestamptz, text, integer) (
    SFUNC = portrait.cohort_activity_trans, STYPE = portrait.cohort_state);
CREATE AGGREGATE smith.rfm_state_state(timestamptz, numeric, timestamptz) (
    SFUNC = portrait.rfm_summary_trans, STYPE = portrait.rfm_state);
CREATE TABLE smith.states AS
SELECT (SELECT smith.points_state(recency, frequency, monetary) FROM smith.customers) AS points,
       (SELECT smith.event_list_state('(?1)(?2)', ts, steps) FROM smith.events WHERE uid < 40) AS event_list,
       (SELECT smith.ab_state_state(CASE WHEN customer_id % 2 = 0 THEN 'a' ELSE 'b' END, churned) FROM smith.customers) AS ab_state,
       (SELECT smith.cohort_state_state(ordered_at, 'week', 8) FROM smith.orders) AS cohort_state,
       (SELECT smith.rfm_state_state(ordered_at, amount, timestamptz '2025-01-01') FROM smith.orders) AS rfm_state,
       (SELECT portrait.profile_agg(jsonb_build_object('region', region, 'monetary', monetary)) FROM smith.customers) AS profile,
       (SELECT portrait.tgi(churned, jsonb_build_object('region', region)) FROM smith.customers) AS tgi_profile,
       (SELECT portrait.kmeans_stats(features) FROM smith.customers) AS kmeans_stats,
       (SELECT portrait.silhouette(features, (customer_id % 3)::int) FROM smith.customers) AS silhouette,
       (SELECT portrait.rfm_summary(ordered_at, amount, timestamptz '2025-01-01') FROM smith.orders) AS rfm_summary;
DROP AGGREGATE smith.points_state(float8, float8, float8), smith.event_list_state(text, timestamptz, boolean[]),
    smith.ab_state_state(text, boolean), smith.cohort_state_state(timestamptz, text, integer),
    smith.rfm_state_state(timestamptz, numeric, timestamptz);

-- basket states (bigint and text keys), an fpgrowth result and its text form
CREATE AGGREGATE smith.basket_state(bigint, text, jsonb) (
    SFUNC = portrait.fpgrowth_trans, STYPE = portrait.basket_lines);
CREATE AGGREGATE smith.basket_state(text, bigint, jsonb) (
    SFUNC = portrait.fpgrowth_trans, STYPE = portrait.basket_lines);
CREATE TABLE smith.baskets AS
SELECT (SELECT smith.basket_state(order_id, sku, '{"min_count": 2}') FROM smith.order_lines) AS lines,
       (SELECT smith.basket_state(customer_id::text, order_id % 50, '{"min_count": 2}') FROM smith.order_lines) AS text_lines,
       (SELECT portrait.fpgrowth(order_id, sku, '{"min_count": 2, "max_len": 3}') FROM smith.order_lines) AS rules,
       (SELECT portrait.fpgrowth(order_id, sku, '{"min_count": 2}')::text FROM smith.order_lines) AS rules_text;
DROP AGGREGATE smith.basket_state(bigint, text, jsonb), smith.basket_state(text, bigint, jsonb);

-- tags of the customers at two snapshots, saved audiences, and audience
-- expressions (valid and not) for the audience functions to read
DELETE FROM portrait.audience WHERE base = 'smith';
DELETE FROM portrait.tag_bitmap WHERE base = 'smith';
DELETE FROM portrait.tag_snapshot WHERE base = 'smith';
DELETE FROM portrait.tag_numeric WHERE base = 'smith';
DELETE FROM portrait.tag WHERE name IN ('region', 'channel', 'churned', 'monetary');
INSERT INTO portrait.tag (name, value_type, source_column) VALUES
    ('region', 'categorical', 'region'), ('channel', 'categorical', 'channel'), ('churned', 'boolean', 'churned'),
    ('monetary', 'numeric', 'monetary');
SELECT portrait.build_tags('smith', 'smith.customers', 'customer_id', '2026-11-01');
UPDATE smith.customers SET churned = NOT churned WHERE customer_id % 3 = 0;
SELECT portrait.build_tags('smith', 'smith.customers', 'customer_id', '2026-11-08');
-- a third snapshot from a query (build_tags's query source), its scan in parallel workers
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SELECT portrait.build_tags('smith', $$SELECT c.customer_id, c.region, c.channel, c.churned, c.monetary * 1.1 AS monetary
                                      FROM smith.customers c WHERE c.customer_id % 7 <> 0$$, 'customer_id', '2026-11-15');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
SELECT portrait.audience_save('north app', 'smith', $$region = '华北' AND channel = 'app'$$),
       portrait.audience_save('churned', 'smith', 'churned OR NOT has(region)', '2026-11-01');
CREATE TABLE smith.audiences AS
SELECT 'smith'::text AS base, e AS expression
FROM unnest(ARRAY[$$region IN ('华北', '华东') AND NOT churned$$, $$channel <> 'web' OR churned = false$$,
                  $$NOT (region = '西南' OR has(channel)) AS OF '2026-11-01'$$, 'churned', 'north app', 'monetary BETWEEN 100 AND 2000.5 OR monetary NOT IN (0)',
                  $$region = 'x' AND$$, $$nope = 'a'$$, $$region >= 1$$, '', '((((churned))))']) e;
ANALYZE smith.audiences;

-- bitmaps of customer ids, and raw bytes that may or may not be serialisations
CREATE TABLE smith.bitmaps AS
SELECT g AS k, portrait.bitmap_agg(c.customer_id) AS b,
       portrait.bitmap_agg(c.customer_id)::bytea AS raw
FROM generate_series(0, 3) g, smith.customers c WHERE c.customer_id % 4 = g GROUP BY g
UNION ALL SELECT 4, '{}', '\x3a300000ffff'::bytea;

-- numeric tag indexes, and raw bytes that may or may not be one
CREATE TABLE smith.numeric_tags AS
SELECT g AS k, portrait.bsi_agg(c.customer_id, (c.customer_id % 977) * 1.37 - 300, g) AS v,
       portrait.bsi_agg(c.customer_id, (c.customer_id % 977) * 1.37 - 300, g)::bytea AS raw
FROM generate_series(0, 3) g, smith.customers c GROUP BY g
UNION ALL SELECT 4, '{}', '\x01020100'::bytea;

-- the functions the generator may call
CREATE VIEW smith.pg_proc AS
SELECT * FROM pg_catalog.pg_proc p
WHERE p.pronamespace = 'portrait'::regnamespace
   OR (p.pronamespace = 'pg_catalog'::regnamespace
       AND p.proname IN ('array_agg', 'count', 'sum', 'avg', 'min', 'max', 'string_agg',
                         'array_append', 'array_prepend', 'array_cat', 'array_fill', 'string_to_array',
                         'jsonb_build_object', 'jsonb_build_array', 'to_jsonb', 'jsonb_set',
                         'abs', 'sqrt', 'ln', 'power', 'round', 'date_trunc', 'make_interval'));

GRANT USAGE ON SCHEMA smith, portrait TO portrait_smith;
GRANT SELECT ON ALL TABLES IN SCHEMA smith TO portrait_smith;
GRANT SELECT ON ALL TABLES IN SCHEMA portrait TO portrait_smith;
ALTER ROLE portrait_smith SET search_path = smith, pg_catalog, portrait;
-- the location of every error, to tell pg_portrait's errors from the server's;
-- not the statements (a crash's statement is logged all the same)
ALTER ROLE portrait_smith SET log_error_verbosity = verbose;
ALTER ROLE portrait_smith SET log_min_error_statement = panic;
ANALYZE smith.customers, smith.orders, smith.events, smith.models, smith.bitmaps, smith.numeric_tags,
    smith.order_lines, smith.baskets;
