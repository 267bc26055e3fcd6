-- test/data/recipe.sql -- the raw tables doc/recipe.md starts from, made from
-- the sample data set (test/data/sample.sql, schema demo) with the rows that
-- surprise on a first day added:
--
--   customers  one row per customer; one customer who has orders was deleted
--   orders     demo.orders (one-time buyers, refunds, NULL amounts) plus a
--              Singles' Day peak on 2024-11-11 and orders in January 2025,
--              after the as_of day 2024-12-31 of the recipe
--   events     view / cart / pay events of the orders of the last 180 days,
--              and views that never became an order
--
-- Run in the schema the recipe will use (the first of search_path), after
-- test/data/sample.sql:
--   PGOPTIONS='-c search_path=recipe' psql -v ON_ERROR_STOP=1 -f test/data/recipe.sql
-- Deterministic: every choice is a function of the ids.

SET TimeZone = 'Asia/Shanghai';
SET client_min_messages = warning;

-- plain CREATE TABLE: a schema that already has tables of these names is left alone

CREATE TABLE customers AS
SELECT customer_id, signup_at, region, city_tier, age_band, gender, channel FROM demo.customers;
ALTER TABLE customers ADD PRIMARY KEY (customer_id);
-- a customer who asked to be deleted: the orders stay (bookkeeping), the person goes
DELETE FROM customers WHERE customer_id = 4242;

CREATE TABLE orders (order_id bigint PRIMARY KEY, customer_id bigint NOT NULL,
                     ordered_at timestamptz NOT NULL, amount numeric(12,2));
INSERT INTO orders SELECT order_id, customer_id, ordered_at, amount FROM demo.orders;
-- Singles' Day: one customer in five who was still buying in the autumn orders again
INSERT INTO orders
SELECT 800000000 + customer_id, customer_id,
       timestamptz '2024-11-11 00:00' + ((customer_id * 7919) % 86400) * interval '1 second',
       (30 + (customer_id * 104729) % 270)::numeric(12,2)
FROM (SELECT DISTINCT customer_id FROM demo.orders WHERE ordered_at >= '2024-09-01') c
WHERE customer_id % 5 = 0;
-- January 2025: orders after the recipe's as_of day (the nightly job of the
-- next month sees them; a summary as of 2024-12-31 must leave them out)
INSERT INTO orders
SELECT 900000000 + customer_id, customer_id,
       timestamptz '2025-01-02 10:00' + ((customer_id * 31) % 20) * interval '1 day',
       (20 + (customer_id * 7) % 180)::numeric(12,2)
FROM (SELECT DISTINCT customer_id FROM demo.orders) c
WHERE customer_id % 11 = 0;
CREATE INDEX ON orders (customer_id);

CREATE TABLE events (customer_id bigint NOT NULL, ts timestamptz NOT NULL, name text NOT NULL);
INSERT INTO events
SELECT o.customer_id, o.ordered_at - s.before, s.name
FROM orders o
CROSS JOIN (VALUES ('view', interval '25 minutes'), ('cart', interval '8 minutes'), ('pay', interval '0')) s(name, before)
WHERE o.amount >= 0 AND o.ordered_at >= timestamptz '2024-07-04' AND o.ordered_at < timestamptz '2025-01-01';
-- browsing without buying: a view, sometimes a cart
INSERT INTO events
SELECT c.customer_id, timestamptz '2024-07-04' + ((c.customer_id * 7907 + k * 104723) % (180 * 86400)) * interval '1 second',
       CASE WHEN k = 2 AND c.customer_id % 3 = 0 THEN 'cart' ELSE 'view' END
FROM customers c CROSS JOIN generate_series(1, 2) k
WHERE c.customer_id % 4 = 1;
CREATE INDEX ON events (customer_id, ts);

ANALYZE customers, orders, events;
RESET client_min_messages;
