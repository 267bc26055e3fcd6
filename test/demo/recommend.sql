-- Preferences, basket rules and recommendations on the sample data (run after
-- test/demo/portrait.sql in the same session: it reads the temp table scored).
-- The sample has orders but no order lines, so deterministic lines are made
-- from each order here: 1-4 SKUs of a 200-SKU catalogue in 8 categories, the
-- categories leaning on the customer's age band, and some SKUs bought together.

CREATE TEMP TABLE order_lines AS
WITH o AS (
    SELECT o.order_id, o.customer_id, o.ordered_at, o.amount,
           (hashint8(o.customer_id) & 2147483647) % 8 AS taste,
           CASE c.age_band WHEN '18-24' THEN 0 WHEN '25-34' THEN 2 WHEN '35-44' THEN 4 ELSE 6 END AS band
    FROM demo.orders o JOIN demo.customers c USING (customer_id) WHERE o.amount > 0),
l AS (
    SELECT o.*, n,
           -- a line's category: the customer's own taste, the age band's or any
           CASE WHEN (hashint8(o.order_id * 8 + n) & 1023) < 450 THEN o.taste
                WHEN (hashint8(o.order_id * 8 + n) & 1023) < 750 THEN o.band + (o.order_id % 2)
                ELSE (hashint8(o.order_id * 16 + n) & 2147483647) % 8 END AS cat,
           -- Zipf-like popularity within a category: SKU k with probability ~ 1/k
           floor(exp(ln(25::float8) * ((hashint8(o.order_id * 32 + n) & 2147483647) / 2147483648.0)))::int AS sku
    FROM o CROSS JOIN LATERAL generate_series(1, 1 + (hashint8(o.order_id) & 2147483647)::int % 4) AS n)
SELECT order_id, customer_id, ordered_at,
       (ARRAY['shoes', 'bags', 'hats', 'coats', 'tea', 'snacks', 'skincare', 'toys'])[1 + cat] AS category,
       (ARRAY['shoes', 'bags', 'hats', 'coats', 'tea', 'snacks', 'skincare', 'toys'])[1 + cat] || '-' || sku AS sku,
       round(amount / 2, 2) AS amount
FROM l
UNION ALL
-- tea-1 comes with snacks-1, and a coat often with a hat
SELECT order_id, customer_id, ordered_at, 'snacks', 'snacks-1', 9.90 FROM l WHERE cat = 4 AND sku = 1 AND n = 1
UNION ALL
SELECT order_id, customer_id, ordered_at, 'hats', 'hats-1', 19.90 FROM l WHERE cat = 3 AND n = 1 AND order_id % 3 = 0;
ANALYZE order_lines;

\echo
\echo '== Order lines made from the sample orders'
SELECT count(DISTINCT order_id) AS orders, count(*) AS lines, count(DISTINCT sku) AS skus FROM order_lines;

\echo
\echo '== Top preferences of the first demo customers: categories by spend, halved every 180 days'
\echo '   (share of the customer''s spend, TGI against all customers; a category needs two lines)'
SELECT p.customer, e.ord AS rank, e.pref->>'value' AS category, round((e.pref->>'weight')::numeric, 1) AS weight,
       round((100 * (e.pref->>'share')::float8)::numeric, 1) AS share_pct, round((e.pref->>'tgi')::numeric, 0) AS tgi
FROM portrait.preference_tags('order_lines', '{"value": "category", "amount": "amount", "at": "ordered_at",
                                              "as_of": "2024-12-31", "half_life": "180 days", "top": 3}') p,
     jsonb_array_elements(p.preferences) WITH ORDINALITY AS e(pref, ord)
WHERE p.customer::bigint <= 3
ORDER BY p.customer::bigint, e.ord;

CREATE TEMP TABLE basket_rules AS
SELECT portrait.fpgrowth(order_id, sku, '{"min_support": 0.002, "max_len": 3, "min_confidence": 0.2}') AS r
FROM order_lines;

\echo
\echo '== Strongest basket rules (FP-growth, support >= 0.2% of orders, confidence >= 20%)'
SELECT r->'baskets' AS orders, r->'min_count' AS min_count, jsonb_array_length(r->'itemsets') AS itemsets,
       jsonb_array_length(r->'rules') AS rules FROM basket_rules;
SELECT array_to_string(antecedent, ' + ') AS if_bought, array_to_string(consequent, ' + ') AS then_also, count AS orders,
       round((100 * support)::numeric, 2) AS support_pct, round((100 * confidence)::numeric, 1) AS confidence_pct,
       round(lift::numeric, 2) AS lift
FROM portrait.association_rules((SELECT r FROM basket_rules)) LIMIT 8;

-- item-to-item similarity over customers' histories, then one Champion's recommendations
CREATE TEMP TABLE item_model AS
SELECT portrait.item_similarity(customer_id, sku, '{"measure": "cosine", "shrinkage": 5, "top": 20}') AS m FROM order_lines;

\echo
\echo '== Recommendations for one Champion, with reasons (history weighted by recency, half-life 90 days)'
-- the first Champion with 8 to 20 different SKUs bought
WITH champ AS (SELECT s.customer_id FROM scored s JOIN order_lines l USING (customer_id) WHERE s.segment = 'Champions'
               GROUP BY s.customer_id HAVING count(DISTINCT l.sku) BETWEEN 8 AND 20 ORDER BY s.customer_id LIMIT 1),
h AS (SELECT l.customer_id, array_agg(l.sku ORDER BY l.ordered_at, l.sku) AS items,
             array_agg(portrait.recency_weight(l.ordered_at, '2024-12-31', '90 days') ORDER BY l.ordered_at, l.sku) AS w
      FROM order_lines l JOIN champ USING (customer_id) GROUP BY l.customer_id)
SELECT h.customer_id, CASE WHEN r.rank = 1 THEN (SELECT string_agg(DISTINCT x, ', ') FROM unnest(h.items) x) END AS bought, r.rank, r.item,
       round(r.score::numeric, 3) AS score, coalesce('because you bought ' || r.because, 'popular') AS reason
FROM h CROSS JOIN LATERAL portrait.recommend((SELECT m FROM item_model), h.items, h.w, 5) r
ORDER BY r.rank;
