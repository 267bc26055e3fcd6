-- Preference (affinity) tags: per customer the top categories by spend,
-- count or weighted events, with share and TGI against all customers.
CREATE TEMP TABLE ev (customer_id bigint, category text, amount numeric, event text, at timestamptz);
INSERT INTO ev VALUES
  (1, 'shoes', 100, 'purchase', '2024-12-01'), (1, 'shoes', 50, 'purchase', '2024-06-01'),
  (1, 'bags', 30, 'purchase', '2024-12-20'), (1, 'bags', 10, 'view', '2024-12-20'),
  (2, 'bags', 20, 'purchase', '2024-12-01'), (2, 'bags', 20, 'purchase', '2024-12-02'),
  (2, 'hats', 5, 'purchase', '2024-12-03'), (3, 'hats', 1, NULL, '2024-01-01'),
  (NULL, 'hats', 1, 'view', '2024-01-01'), (3, NULL, 1, 'view', '2024-01-01');

-- by spend; one line of a category is not a preference (min_support 2 lines by default).
-- Customer 1: shoes 150 of 190 = 0.789; all customers: shoes 150 of 236 = 0.636; TGI 124.2
SELECT customer, p->>'value' AS value, p->'weight' AS weight, p->'support' AS support,
       round((p->>'share')::numeric, 4) AS share, round((p->>'population_share')::numeric, 4) AS population_share,
       round((p->>'tgi')::numeric, 1) AS tgi
FROM portrait.preference_tags('ev', '{"value": "category", "amount": "amount"}'), jsonb_array_elements(preferences) p;

-- weighted events, halved every 30 days before as_of; a view counts 0.5 here (default 1);
-- events of types without a weight (NULL) are skipped
SELECT portrait.preference_weights('{"view": 0.5}');
SELECT customer, p->>'value' AS value, round((p->>'weight')::numeric, 4) AS weight, round((p->>'tgi')::numeric, 1) AS tgi
FROM portrait.preference_tags('ev', '{"value": "category", "event": "event", "at": "at", "as_of": "2024-12-31",
                                     "half_life": "30 days", "top": 1, "weights": {"view": 0.5}}'),
     jsonb_array_elements(preferences) p;

-- the core TGI every profile uses
SELECT portrait.tgi_value(150, 190, 150, 236);

-- errors (terse: the messages without the functions' context)
\set VERBOSITY terse
SELECT * FROM portrait.preference_tags('ev', '{"value": "category", "top": 0}');
SELECT * FROM portrait.preference_tags('ev', '{"value": "category", "min_support": 0}');
SELECT * FROM portrait.preference_tags('ev', '{"value": "category", "half_life": "30 days"}');
SELECT * FROM portrait.preference_tags('ev', '{"value": "brand"}');
SELECT * FROM portrait.preference_tags('ev', '{"category": "category"}');
