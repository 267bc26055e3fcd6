-- Item-to-item similarity and recommendations on the nine baskets of Han &
-- Kamber's Table 6.1: cosine of co-occurrence counts, n(i and j) / sqrt(n(i) n(j)).
CREATE TEMP TABLE hk (tid text, item text);
INSERT INTO hk VALUES ('T100','I1'),('T100','I2'),('T100','I5'),('T200','I2'),('T200','I4'),
  ('T300','I2'),('T300','I3'),('T400','I1'),('T400','I2'),('T400','I4'),('T500','I1'),('T500','I3'),
  ('T600','I2'),('T600','I3'),('T700','I1'),('T700','I3'),('T800','I1'),('T800','I2'),('T800','I3'),
  ('T800','I5'),('T900','I1'),('T900','I2'),('T900','I3');
CREATE TEMP TABLE sim AS SELECT portrait.item_similarity(tid, item, '{"top": 3}') AS m FROM hk;
SELECT portrait.model_kind(m) FROM sim;

-- I1 and I3 are together in 4 baskets, I1 in 6, I3 in 6: 4/6 = 0.6667
SELECT item, rank, neighbour, round(score::numeric, 4) AS score FROM portrait.item_neighbours((SELECT m FROM sim));

-- a customer who bought I5 and, less recently (weight 0.5), I4: I2 scores
-- 1 x 0.5345 (from I5) + 0.5 x 0.5345 (from I4); the reason is the larger part
SELECT rank, item, round(score::numeric, 4) AS score, because, source
FROM portrait.recommend((SELECT m FROM sim), ARRAY['I5', 'I4'], ARRAY[1, 0.5], 5);

-- a new customer: the most popular items (share of baskets)
SELECT rank, item, round(score::numeric, 4) AS score, because, source
FROM portrait.recommend((SELECT m FROM sim), NULL, NULL, 2);

-- recency weights: halved every 30 days
SELECT round(portrait.recency_weight('2024-12-01', '2024-12-31', '30 days')::numeric, 4) AS a_month_ago;

-- one customer's list against what they bought next
SELECT * FROM portrait.ranking_metrics(ARRAY['I2', 'I1', 'I3'], ARRAY['I1', 'I4'], 3);

-- errors
SELECT * FROM portrait.recommend((SELECT m FROM sim), ARRAY['I5'], NULL, 0);
SELECT portrait.item_similarity(tid, item, '{"measure": "pearson"}') FROM hk;
