-- Preference tags (preference_tags, preference_weights, tgi_value): equality
-- with the plain GROUP BY SQL, the TGI is the segment profiles' one, every error.
BEGIN;
SELECT plan(14);

-- order lines with a deterministic category, from the sample orders
CREATE TEMP TABLE pl AS
SELECT customer_id, 'c' || (order_id * 7919 % 6) AS category, amount, ordered_at,
       (ARRAY['purchase', 'view', 'cart', 'like'])[1 + order_id % 4] AS event
FROM demo.orders WHERE customer_id <= 3000;

CREATE TEMP TABLE ours AS
SELECT customer, p->>'value' AS value, (p->>'weight')::float8 AS weight, (p->>'share')::float8 AS share,
       (p->>'tgi')::float8 AS tgi, (p->>'support')::bigint AS support, ord
FROM portrait.preference_tags('pl', '{"value": "category", "amount": "amount", "top": 2}'),
     jsonb_array_elements(preferences) WITH ORDINALITY AS e(p, ord);
CREATE TEMP TABLE plain AS
WITH cv AS (SELECT customer_id::text AS customer, category AS value, sum(amount::float8) AS w, count(*) AS n
            FROM pl WHERE amount > 0 GROUP BY 1, 2),
     r AS (SELECT cv.*, sum(w) OVER (PARTITION BY customer) AS cw, sum(w) OVER (PARTITION BY value) AS pw,
                  sum(w) OVER () AS tw FROM cv)
SELECT customer, value, w AS weight, w / cw AS share, 100 * (w / cw) / (pw / tw) AS tgi, n AS support,
       row_number() OVER (PARTITION BY customer ORDER BY w DESC, value COLLATE "C") AS ord
FROM r WHERE n >= 2;
DELETE FROM plain WHERE ord > 2;

SELECT is((SELECT count(*) FROM ours), (SELECT count(*) FROM plain), 'as many tags as the plain SQL');
SELECT is((SELECT count(*)::int FROM ours o JOIN plain p USING (customer, value, ord)
           WHERE abs(o.weight - p.weight) <= 1e-9 * p.weight AND abs(o.share - p.share) <= 1e-9
             AND abs(o.tgi - p.tgi) <= 1e-9 * p.tgi AND o.support = p.support),
          (SELECT count(*)::int FROM plain), 'the same tags, weights, shares, TGIs and order as the plain SQL');
SELECT ok((SELECT bool_and(support >= 2) FROM ours), 'one line is not a preference (min_support 2)');
SELECT ok((SELECT max(ord) FROM ours) = 2, 'top 2');
SELECT is(portrait.tgi_value(1, 4, 5, 10), 50::float8, 'tgi_value: 100 x (1/4) / (5/10)');
SELECT is(portrait.tgi_value(1, 4, 0, 10), NULL, 'tgi_value: NULL when the population lacks the value');
SELECT is((SELECT t.tgi FROM portrait.tgi_table((SELECT portrait.tgi(x <= 2, jsonb_build_object('v', v))
                                                   FROM (VALUES (1, 'a'), (2, 'b'), (3, 'a'), (4, 'b'), (5, 'a')) s(x, v))) t
           WHERE t.value = 'a'),
          portrait.tgi_value(1, 2, 3, 5), 'the segment profiles'' TGI is tgi_value');
SELECT is((SELECT count(*)::int FROM portrait.preference_tags('pl', '{"value": "category", "event": "event", "weights": {"view": 0, "cart": 0, "like": 0}}')),
          (SELECT count(DISTINCT customer_id)::int FROM (SELECT customer_id FROM pl WHERE event = 'purchase'
                                                          GROUP BY customer_id, category HAVING count(*) >= 2) s),
          'events of weight 0 do not count');

SELECT throws_ok($$SELECT * FROM portrait.preference_tags('pl', '{"value": "category", "top": 0}')$$, '22023', NULL, 'top < 1: 22023');
SELECT throws_ok($$SELECT * FROM portrait.preference_tags('pl', '{"value": "category", "weights": {"view": -1}, "event": "event"}')$$, '22023', NULL, 'a negative weight: 22023');
SELECT throws_ok($$SELECT * FROM portrait.preference_tags('pl', '{"value": "category", "half_life": "30 days", "at": "ordered_at"}')$$, '22023', NULL, 'half_life without as_of: 22023');
SELECT throws_ok($$SELECT * FROM portrait.preference_tags('pl', '{"value": "brand"}')$$, '42703', NULL, 'an unknown column: 42703');
SELECT throws_ok($$SELECT * FROM portrait.preference_tags('pl', '{"value": "category", "halflife": "1 day"}')$$, '0A000', NULL, 'an unknown option: 0A000');
SELECT throws_ok($$SELECT * FROM portrait.preference_tags('pl', NULL)$$, '22004', NULL, 'NULL options: 22004');

SELECT * FROM finish();
ROLLBACK;
