-- The dynamic portrait: an RFM profile kept from stored states, refreshed in
-- time proportional to what changed.
\pset border 1
SET client_min_messages = warning;
DELETE FROM portrait.profile_incremental WHERE target::text = 'demo.live_profile';
DROP TABLE IF EXISTS demo.live_orders, demo.live_profile, demo.live_profile_state CASCADE;

-- a copy of the orders with an ingestion column (the watermark) and the
-- trigger that logs corrections
CREATE TABLE demo.live_orders (
    order_id    bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    ordered_at  timestamptz NOT NULL,
    amount      numeric(12, 2),
    ingest_xid  xid8 NOT NULL DEFAULT pg_current_xact_id()
);
INSERT INTO demo.live_orders (order_id, customer_id, ordered_at, amount)
SELECT order_id, customer_id, ordered_at, amount FROM demo.orders WHERE ordered_at < timestamptz '2025-01-01';
CREATE INDEX ON demo.live_orders (ingest_xid);
CREATE INDEX ON demo.live_orders (customer_id);
CREATE TRIGGER live_orders_changes AFTER UPDATE OR DELETE ON demo.live_orders
    FOR EACH ROW EXECUTE FUNCTION portrait.profile_change_capture('customer_id');

CREATE TABLE demo.live_profile (customer_id bigint PRIMARY KEY, frequency bigint, monetary float8,
                                first_day date, last_day date, r int, f int, m int, segment text);

-- the first run builds every state and stores the breaks fitted on 2024-12-31
SELECT format('{"model": %s, "as_of": "2024-12-31"}',
              portrait.rfm_breaks((s).recency_days, (s).frequency, (s).monetary)::jsonb) AS live_opts
FROM (SELECT portrait.rfm_summary(ordered_at, amount, date '2024-12-31') s FROM demo.live_orders GROUP BY customer_id) x \gset
CALL portrait.refresh_profile_incremental('demo.live_profile', 'demo.live_orders', :'live_opts');

-- a day of new orders, one of them a refund, and a correction of an old order
INSERT INTO demo.live_orders (order_id, customer_id, ordered_at, amount)
SELECT 10000000 + g, 1 + (g * 7919) % 50000, timestamptz '2025-01-01 10:00' + (g % 600) * interval '1 minute',
       CASE WHEN g % 20 = 0 THEN -15 ELSE 20 + g % 80 END
FROM generate_series(1, 500) g;
UPDATE demo.live_orders SET amount = amount + 100 WHERE order_id = (SELECT min(order_id) FROM demo.live_orders);
CALL portrait.refresh_profile_incremental('demo.live_profile', 'demo.live_orders', '{"as_of": "2025-01-01"}');

\echo
\echo '== Incremental refreshes: the first builds every state, the next writes only what changed'
SELECT run_id, inserted, updated, deleted, unchanged
FROM portrait.profile_run WHERE target = 'demo.live_profile' ORDER BY run_id;

\echo
\echo '== The profile of 2025-01-01 equals the full recomputation (rows differing)'
SELECT count(*) AS rows_differing FROM (
    SELECT * FROM demo.live_profile
    EXCEPT
    SELECT customer_id, (s).frequency, (s).monetary, date '2025-01-01' - (s).tenure_days, date '2025-01-01' - (s).recency_days,
           (sc).r, (sc).f, (sc).m, (sc).segment
    FROM (SELECT customer_id, s, portrait.rfm_score((s).recency_days, (s).frequency, (s).monetary,
                                                    (SELECT model FROM portrait.profile_incremental WHERE target = 'demo.live_profile'::regclass)) sc
          FROM (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, date '2025-01-01') s
                FROM demo.live_orders GROUP BY customer_id) a) b) d;

\echo
\echo '== Segment moves of the last run'
SELECT h.old_value AS from_segment, h.new_value AS to_segment, count(*) AS customers
FROM portrait.profile_history h
WHERE h.target = 'demo.live_profile' AND h.column_name = 'segment' AND h.op = 'update'
  AND h.run_id = (SELECT max(run_id) FROM portrait.profile_run WHERE target = 'demo.live_profile')
GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 6;

DELETE FROM portrait.profile_incremental WHERE target = 'demo.live_profile'::regclass;
DELETE FROM portrait.profile_change_log WHERE source = 'demo.live_orders'::regclass;
DROP TABLE demo.live_orders, demo.live_profile, demo.live_profile_state;
