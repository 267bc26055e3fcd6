-- Orders of a shape other than test/data/sample.sql's, for the benchmarks in
-- test/bench (psql -v customers=N -v one_share=S -v days=D -v sigma=G
-- -v orders=O -v seed=K -f shapes.sql).  It (re)creates demo.orders with
-- sample.sql's columns:
--   one_share  share of customers with exactly one order (the others have
--              2 + a geometric number more, mean orders - 2 extra)
--   days       the orders fall on that many distinct days before 2024-12-31
--   sigma      log-normal spread of the amounts (1 is wide, 2.5 very wide);
--              2% of the rows are refunds, 0.5% have a NULL amount
--   orders     mean orders of a repeat customer
-- Deterministic for a seed: random() after setseed() in a serial plan.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET TimeZone = 'Asia/Shanghai';
CREATE SCHEMA IF NOT EXISTS demo;
DROP TABLE IF EXISTS demo.orders;
SELECT setseed(:seed / 1000.0) \g /dev/null
CREATE TABLE demo.orders AS
WITH c AS (
    SELECT i AS customer_id,
           CASE WHEN random() < :one_share THEN 1
                ELSE 2 + floor(ln(1 - random()) / ln(1 - 1.0 / (:orders - 1)))::int END AS n,
           -- a customer's spending level and the day it started
           exp(:sigma * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) + 4) AS level,
           floor(random() * :days)::int AS start
      FROM generate_series(1, :customers) i
)
SELECT row_number() OVER () AS order_id, c.customer_id,
       timestamptz '2024-12-31 00:00:00+08'
         - make_interval(days => (c.start * (1 - sqrt(random())))::int)
         + make_interval(secs => floor(random() * 86399)::int) AS ordered_at,
       CASE WHEN u < 0.005 THEN NULL
            WHEN u < 0.025 THEN -round((c.level * 0.5)::numeric, 2)
            ELSE round((c.level * exp(0.5 * (random() - 0.5)))::numeric, 2) END::numeric(12,2) AS amount
  FROM c, LATERAL (SELECT j, random() AS u FROM generate_series(1, c.n) j) o;
ALTER TABLE demo.orders ADD PRIMARY KEY (order_id);
RESET max_parallel_workers_per_gather;
VACUUM ANALYZE demo.orders;
SELECT :'shape' AS shape, count(*) AS customers, sum(n) AS orders,
       (SELECT count(DISTINCT ordered_at::date) FROM demo.orders) AS days,
       round(avg((n = 1)::int), 3) AS one_order_share,
       (SELECT round(max(amount) / percentile_disc(0.5) WITHIN GROUP (ORDER BY abs(amount)), 0)
          FROM demo.orders) AS max_over_median
  FROM (SELECT customer_id, count(*) AS n FROM demo.orders GROUP BY 1) k;
