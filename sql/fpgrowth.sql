-- Market-basket analysis: frequent itemsets by FP-growth and the rules
-- between them, on the nine transactions of Han, Kamber and Pei, "Data
-- Mining: Concepts and Techniques", Table 6.1 (minimum support count 2).
CREATE TEMP TABLE hk (tid text, item text);
INSERT INTO hk VALUES ('T100','I1'),('T100','I2'),('T100','I5'),('T200','I2'),('T200','I4'),
  ('T300','I2'),('T300','I3'),('T400','I1'),('T400','I2'),('T400','I4'),('T500','I1'),('T500','I3'),
  ('T600','I2'),('T600','I3'),('T700','I1'),('T700','I3'),('T800','I1'),('T800','I2'),('T800','I3'),
  ('T800','I5'),('T900','I1'),('T900','I2'),('T900','I3');

-- one aggregate call; its jsonb result holds the itemsets and the rules
CREATE TEMP TABLE basket AS
SELECT portrait.fpgrowth(tid, item, '{"min_count": 2, "min_confidence": 0.5}') AS r FROM hk;
SELECT r->'baskets' AS baskets, r->'min_count' AS min_count, jsonb_array_length(r->'itemsets') AS itemsets
FROM basket;

-- the published L1, L2 and L3: by size, then count descending
SELECT items, size, count, round(support::numeric, 4) AS support
FROM portrait.frequent_itemsets((SELECT r FROM basket));

-- rules with confidence >= 50%, strongest (by lift) first
SELECT antecedent, consequent, count, round(confidence::numeric, 4) AS confidence,
       round(lift::numeric, 4) AS lift, round(leverage::numeric, 4) AS leverage, conviction
FROM portrait.association_rules((SELECT r FROM basket))
LIMIT 10;

-- fractions of baskets: 0.3 of 9 baskets is a count of ceil(2.7) = 3
SELECT items, count
FROM portrait.frequent_itemsets((SELECT portrait.fpgrowth(tid, item, '{"min_support": 0.3, "rules": false}') FROM hk));

-- NULL baskets and items are skipped; no rows gives NULL
SELECT portrait.fpgrowth(NULL::text, item, '{"min_count": 1}') IS NULL AS all_null FROM hk;

-- errors
SELECT portrait.fpgrowth(tid, item, '{"min_support": 1.5}') FROM hk;
SELECT portrait.fpgrowth(tid, item, '{}') FROM hk;
SELECT portrait.fpgrowth(tid, item, '{"min_count": 2, "maxlen": 3}') FROM hk;
