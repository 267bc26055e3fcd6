-- The incremental portrait: stored states, a watermark, corrections.
SET client_min_messages = warning;
SET TimeZone = 'Asia/Shanghai';
SET DateStyle = 'ISO';
SET extra_float_digits = 0;

-- A stored rfm_summary state, merged with the state of later rows and
-- finalised on a later day, is rfm_summary over all the rows.
CREATE TABLE demo_orders (customer_id int, ordered_at date, amount numeric);
INSERT INTO demo_orders VALUES (1, '2024-03-01', 20), (1, '2024-03-01', 5), (1, '2024-04-10', 40),
                               (2, '2024-02-01', 100), (2, '2024-05-20', -30), (2, '2024-06-01', 60);
CREATE TABLE demo_state AS
SELECT customer_id, portrait.rfm_summary_state(ordered_at, amount, date '2024-04-30') AS state
FROM demo_orders WHERE ordered_at <= '2024-04-30' GROUP BY customer_id;
SELECT customer_id, state FROM demo_state ORDER BY 1;
SELECT s.customer_id, (portrait.rfm_summary_final(portrait.rfm_state_merge(s.state, n.state), '2024-06-30')).*
FROM demo_state s
LEFT JOIN (SELECT customer_id, portrait.rfm_summary_state(ordered_at, amount, date '2024-06-30') AS state
           FROM demo_orders WHERE ordered_at > '2024-04-30' GROUP BY customer_id) n USING (customer_id)
ORDER BY 1;
SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, date '2024-06-30')).*
FROM demo_orders GROUP BY customer_id ORDER BY 1;

-- An order table kept incrementally: the watermark is the inserting
-- transaction (xid8), and a trigger logs updates and deletes.
CREATE TABLE shop_orders (
    order_id    bigserial PRIMARY KEY,
    customer_id int NOT NULL,
    ordered_at  timestamptz NOT NULL,
    amount      numeric(10, 2),
    ingest_xid  xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX ON shop_orders (ingest_xid);
CREATE INDEX ON shop_orders (customer_id);
CREATE TRIGGER shop_orders_changes AFTER UPDATE OR DELETE ON shop_orders
    FOR EACH ROW EXECUTE FUNCTION portrait.profile_change_capture('customer_id');
INSERT INTO shop_orders (customer_id, ordered_at, amount)
SELECT c, timestamptz '2024-06-30 12:00' - ((c * 37 + k * 11) % 90) * interval '1 day', 10 + (c * k) % 50
FROM generate_series(1, 12) c, generate_series(1, 1 + c % 4) k;

-- The profile keeps dates, not recency: recency changes every day for everyone.
CREATE TABLE shop_profile (customer_id int PRIMARY KEY, frequency bigint, monetary float8, last_day date,
                           r int, f int, m int, segment text);

-- The first run stores the states and the model (breaks of the day).
CREATE TABLE shop_model AS
SELECT portrait.rfm_breaks((s).recency_days, (s).frequency, (s).monetary, 3) AS model
FROM (SELECT portrait.rfm_summary(ordered_at, amount, date '2024-06-30') s FROM shop_orders GROUP BY customer_id) x;
SELECT format('{"model": %s, "as_of": "2024-06-30"}', model::jsonb) AS opts FROM shop_model \gset
CALL portrait.refresh_profile_incremental('shop_profile', 'shop_orders', :'opts');
SELECT * FROM shop_profile ORDER BY customer_id;
SELECT inserted, updated, deleted, unchanged FROM portrait.profile_run WHERE target_table = 'shop_profile'::regclass ORDER BY run_id;

-- New orders, a refund and a late arrival with an old business time: only
-- the touched customers are scored again and only changed rows written.
INSERT INTO shop_orders (customer_id, ordered_at, amount) VALUES
    (3, '2024-07-01 09:00', 80), (3, '2024-07-01 18:00', 15), (5, '2024-07-01 10:00', -20),
    (7, '2024-04-02 10:00', 33), (13, '2024-07-01 11:00', 12);
CALL portrait.refresh_profile_incremental('shop_profile', 'shop_orders', '{"as_of": "2024-07-01"}');
SELECT inserted, updated, deleted, unchanged FROM portrait.profile_run WHERE target_table = 'shop_profile'::regclass ORDER BY run_id DESC LIMIT 1;
SELECT key, op, column_name, old_value, new_value FROM portrait.profile_history
WHERE target_table = 'shop_profile'::regclass AND run_id = (SELECT max(run_id) FROM portrait.profile_run)
ORDER BY key::int, column_name;

-- Corrections: an update and a delete of merged rows; those customers are
-- recomputed from their own rows.
UPDATE shop_orders SET amount = amount * 2 WHERE order_id = (SELECT min(order_id) FROM shop_orders WHERE customer_id = 4);
DELETE FROM shop_orders WHERE customer_id = 13;
SELECT key FROM portrait.profile_change_log WHERE source = 'shop_orders'::regclass ORDER BY key;
CALL portrait.refresh_profile_incremental('shop_profile', 'shop_orders', '{"as_of": "2024-07-01"}');
SELECT key, op, column_name, old_value, new_value FROM portrait.profile_history
WHERE target_table = 'shop_profile'::regclass AND run_id = (SELECT max(run_id) FROM portrait.profile_run)
ORDER BY key::int, column_name;

-- Ten days later without orders: only customers whose recency crossed a
-- stored break get a new r score.
CALL portrait.refresh_profile_incremental('shop_profile', 'shop_orders', '{"as_of": "2024-07-11"}');
SELECT inserted, updated, deleted, unchanged FROM portrait.profile_run WHERE target_table = 'shop_profile'::regclass ORDER BY run_id DESC LIMIT 1;

-- The profile equals the full recomputation of the same day.
SELECT count(*) AS differences FROM (
    (SELECT * FROM shop_profile
     EXCEPT
     SELECT customer_id, (s).frequency, (s).monetary, date '2024-07-11' - (s).recency_days,
            (sc).r, (sc).f, (sc).m, (sc).segment
     FROM (SELECT customer_id, s, portrait.rfm_score((s).recency_days, (s).frequency, (s).monetary, (SELECT model FROM shop_model)) sc
           FROM (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, date '2024-07-11') s FROM shop_orders GROUP BY customer_id) a) b)) d;

-- Readers compute recency at read time from the stored day.
CREATE VIEW shop_profile_now AS
SELECT p.*, current_date - p.last_day AS recency_days FROM shop_profile p;
SELECT customer_id, r, segment, date '2024-07-11' - last_day AS recency_days_on_jul_11 FROM shop_profile ORDER BY customer_id LIMIT 4;

-- Errors
\set VERBOSITY terse
CREATE TABLE seq_orders (customer_id int, ordered_at date, amount numeric, id bigserial);
CREATE TABLE seq_profile (customer_id int PRIMARY KEY, frequency bigint);
CALL portrait.refresh_profile_incremental('seq_profile', 'seq_orders', '{"watermark": "id"}');
CREATE TABLE bad_profile (customer_id int PRIMARY KEY, recency_days int);
CALL portrait.refresh_profile_incremental('bad_profile', 'shop_orders');

DELETE FROM portrait.profile_incremental WHERE target = 'shop_profile'::regclass;
DELETE FROM portrait.profile_change_log WHERE source = 'shop_orders'::regclass;
DROP VIEW shop_profile_now;
DROP TABLE demo_orders, demo_state, shop_orders, shop_profile, shop_profile_state, shop_model, seq_orders, seq_profile, bad_profile;
