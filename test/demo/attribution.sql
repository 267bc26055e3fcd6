-- Channel attribution: which channels brought the December 2024 orders.
\pset border 1
SET client_min_messages = warning;

-- The sample data has an acquisition channel per customer but no marketing touches: derive them
-- deterministically (temporary tables, the demo tables stay as they are).  Before each paid
-- December order the customer saw an ad or message 1-3 days earlier (push, sms, search_ad or
-- social, picked by a hash of the order id) and came back through their own channel (app, web,
-- mini_program or store) an hour before paying; a share of the customers without a December order
-- were touched too (journeys that did not convert).  A second order soon after the first has no
-- touch of its own: it is credited to the channel "direct".  Costs per touch: search_ad 1.50, social
-- 0.80, sms 0.10, push 0.05, own channels free.
CREATE TEMP TABLE attr_touch AS
SELECT o.customer_id, o.ordered_at - ((1 + o.order_id % 3) * interval '1 day') AS at,
       (ARRAY['push', 'sms', 'search_ad', 'social'])[1 + (o.order_id * 7919) % 4] AS channel
FROM demo.orders o
WHERE o.ordered_at >= timestamptz '2024-12-01' AND o.ordered_at < timestamptz '2025-01-01' AND o.amount > 0
UNION ALL
SELECT o.customer_id, o.ordered_at - interval '1 hour', c.channel
FROM demo.orders o JOIN demo.customers c USING (customer_id)
WHERE o.ordered_at >= timestamptz '2024-12-01' AND o.ordered_at < timestamptz '2025-01-01' AND o.amount > 0
UNION ALL
SELECT c.customer_id, timestamptz '2024-12-01 10:00' + ((c.customer_id * 7919) % 30) * interval '1 day',
       (ARRAY['push', 'sms', 'search_ad', 'social', 'push'])[1 + (c.customer_id * 104729) % 5]
FROM demo.customers c
WHERE (c.customer_id * 31337) % 100 < 30
  AND NOT EXISTS (SELECT 1 FROM demo.orders o WHERE o.customer_id = c.customer_id AND o.amount > 0
                    AND o.ordered_at >= timestamptz '2024-12-01' AND o.ordered_at < timestamptz '2025-01-01');

CREATE TEMP TABLE attr_state AS
SELECT portrait.attribution(journeys, '{"direct": "direct"}') AS state
FROM (SELECT customer_id,
             portrait.journeys(at, channel, amount, is_conversion, '7 days', true) AS journeys
      FROM (SELECT customer_id, at, channel,
                   CASE channel WHEN 'search_ad' THEN 1.50 WHEN 'social' THEN 0.80 WHEN 'sms' THEN 0.10
                                WHEN 'push' THEN 0.05 ELSE 0 END::float8 AS amount, false AS is_conversion
              FROM attr_touch
            UNION ALL
            SELECT customer_id, ordered_at, NULL, amount::float8, true
              FROM demo.orders
             WHERE ordered_at >= timestamptz '2024-12-01' AND ordered_at < timestamptz '2025-01-01' AND amount > 0) e
      GROUP BY customer_id) s;

\echo
\echo '== Channel attribution of the December 2024 orders: every model side by side (attribution_report)'
SELECT channel, touches, round(cost::numeric, 0) AS cost, round(last_touch::numeric, 1) AS last_touch,
       round(linear::numeric, 1) AS linear, round(position_based::numeric, 1) AS position,
       round(markov::numeric, 1) AS markov, round(shapley::numeric, 1) AS shapley,
       round(markov_value::numeric, 0) AS markov_value, round(markov_roi::numeric, 1) AS markov_roi
FROM portrait.attribution_report((SELECT state FROM attr_state));

\echo
\echo '== Markov removal effects: the share of conversions lost without each channel'
SELECT channel, round(removal_effect::numeric, 3) AS removal_effect,
       round(conversion_probability_without::numeric, 3) AS p_conversion_without,
       round(conversion_probability::numeric, 3) AS p_conversion
FROM portrait.attribution_removal_effects((SELECT state FROM attr_state));
