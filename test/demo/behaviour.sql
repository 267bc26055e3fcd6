-- Behaviour: the December 2024 funnel of the shop and the monthly cohort retention of the orders.
\pset border 1
SET client_min_messages = warning;
DROP TABLE IF EXISTS demo.events;

-- The shop's events in December 2024 (view -> cart -> checkout -> pay): every December order
-- was viewed, carted and checked out shortly before it was paid; a deterministic share of the
-- other customers visited without buying, some leaving at the cart or at the checkout.
CREATE TABLE demo.events (customer_id bigint, ts timestamptz, name text);
INSERT INTO demo.events
SELECT o.customer_id, o.ordered_at - s.before, s.name
FROM demo.orders o,
     (VALUES ('view', interval '25 min'), ('cart', interval '12 min'), ('checkout', interval '4 min'),
             ('pay', interval '0')) s(name, before)
WHERE o.ordered_at >= timestamptz '2024-12-01' AND o.ordered_at < timestamptz '2025-01-01' AND o.amount > 0;
INSERT INTO demo.events
SELECT c.customer_id,
       timestamptz '2024-12-01 09:00' + ((c.customer_id * 7919) % 30) * interval '1 day'
           + ((c.customer_id * 104729) % 600) * interval '1 min' + s.after, s.name
FROM demo.customers c,
     (VALUES (1, 'view', interval '0'), (2, 'cart', interval '8 min'), (3, 'checkout', interval '15 min')) s(step, name, after)
WHERE (c.customer_id * 31337) % 100 < 45
  AND s.step <= 1 + ((c.customer_id * 7) % 10 >= 6)::int + ((c.customer_id * 7) % 10 >= 9)::int
  AND NOT EXISTS (SELECT 1 FROM demo.orders o
                  WHERE o.customer_id = c.customer_id AND o.amount > 0
                    AND o.ordered_at >= timestamptz '2024-12-01' AND o.ordered_at < timestamptz '2025-01-01');

\echo
\echo '== Funnel of December 2024: view -> cart -> checkout -> pay within 1 day (window_funnel, funnel_table)'
SELECT f.step, (ARRAY['view', 'cart', 'checkout', 'pay'])[f.step] AS event, f.users,
       round((100 * f.conversion_from_previous)::numeric, 1) AS from_previous_pct,
       round((100 * f.conversion_from_first)::numeric, 1) AS from_first_pct
FROM (SELECT portrait.funnel_counts(level, 4) AS users
      FROM (SELECT customer_id, portrait.window_funnel('1 day', ts, name = 'view', name = 'cart',
                                                       name = 'checkout', name = 'pay') AS level
            FROM demo.events GROUP BY customer_id) per_customer) c,
     portrait.funnel_table(c.users) f
ORDER BY f.step;

\echo
\echo '== Monthly cohorts of 2024: share of each cohort ordering again 1, 2, 3, 6 and 12 months later (cohort_matrix)'
\echo '   (empty: the month is after the end of the data)'
SELECT to_char(cohort, 'YYYY-MM') AS cohort, max(cohort_users) AS customers,
       round(100 * max(share) FILTER (WHERE period_offset = 1)::numeric, 1) AS m1_pct,
       round(100 * max(share) FILTER (WHERE period_offset = 2)::numeric, 1) AS m2_pct,
       round(100 * max(share) FILTER (WHERE period_offset = 3)::numeric, 1) AS m3_pct,
       round(100 * max(share) FILTER (WHERE period_offset = 6)::numeric, 1) AS m6_pct,
       round(100 * max(share) FILTER (WHERE period_offset = 12)::numeric, 1) AS m12_pct
FROM portrait.cohort_matrix('demo.orders', 'customer_id', 'ordered_at', 'month', 12)
WHERE cohort >= timestamptz '2024-01-01'
  AND cohort + period_offset * interval '1 month' < timestamptz '2025-01-01'
GROUP BY cohort ORDER BY cohort;
RESET client_min_messages;
