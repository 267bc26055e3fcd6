-- rfm_breaks / rfm_score: quantile scores that never split ties.
CREATE TABLE summary (customer_id int, recency int, frequency int, monetary numeric);
INSERT INTO summary VALUES
    (1, 3, 9, 900), (2, 10, 1, 50), (3, 40, 1, 20), (4, 5, 4, 400), (5, 200, 1, 30),
    (6, 90, 2, 120), (7, 15, 3, 260), (8, 300, 1, 10), (9, 60, 1, 60), (10, 1, 6, 640);

-- Stored breaks: cut points of each column at the 1/5 .. 4/5 quantiles.
-- Recency cuts are listed from high to low: r = 1 + cuts strictly above the recency.
SELECT portrait.rfm_breaks(recency, frequency, monetary) AS m FROM summary \gset
SELECT :'m'::portrait.model;

-- Scores: 1..5, recent = high.  Five customers bought once: they all get f = 1,
-- and the next frequency (2) gets f = 3 because half of the customers are below it.
SELECT customer_id, recency, frequency, monetary, (portrait.rfm_score(recency, frequency, monetary, :'m'::portrait.model)).*
FROM summary ORDER BY customer_id;

-- ntile(5) splits those tied customers over scores 1, 2 and 3 arbitrarily:
SELECT frequency, array_agg(DISTINCT nt) AS ntile_scores,
       array_agg(DISTINCT (portrait.rfm_score(recency, frequency, monetary, :'m'::portrait.model)).f) AS rfm_scores
FROM (SELECT *, ntile(5) OVER (ORDER BY frequency) AS nt FROM summary) s
GROUP BY frequency ORDER BY frequency;

-- The window form scores each row against its own partition, with the same result.
SELECT customer_id, (portrait.rfm_score(recency, frequency, monetary) OVER ()).*
FROM summary ORDER BY customer_id;
SELECT count(*) AS disagreements
FROM (SELECT portrait.rfm_score(recency, frequency, monetary) OVER () AS w,
             portrait.rfm_score(recency, frequency, monetary, :'m'::portrait.model) AS s FROM summary) x
WHERE w IS DISTINCT FROM s;

-- Partitions score separately; bucket count and map are options.
SELECT customer_id, customer_id % 2 AS part,
       (portrait.rfm_score(recency, frequency, monetary, 3, 'cn8') OVER (PARTITION BY customer_id % 2)).*
FROM summary ORDER BY part, customer_id;

-- Three buckets as a stored model.
SELECT portrait.rfm_breaks(recency, frequency, monetary, 3) FROM summary;

-- NULLs: rows with a NULL in any column are left out of the breaks and score NULL.
SELECT portrait.rfm_score(NULL, 1, 1, :'m'::portrait.model) IS NULL AS null_score;
SELECT portrait.rfm_breaks(r, f, m) IS NULL AS no_rows FROM (VALUES (NULL::int, 1, 1)) v(r, f, m);

-- Errors.
SELECT portrait.rfm_breaks(recency, frequency, monetary, 1) FROM summary;
SELECT portrait.rfm_breaks(recency, frequency, 'NaN') FROM summary;
SELECT portrait.rfm_score(1, 1, 1, :'m'::portrait.model, 'no such map');
SELECT portrait.rfm_score(1, 1, 1, '{"kind": "rfm", "format": 1}'::portrait.model);
SELECT portrait.rfm_score(1, 1, 1, (SELECT portrait.rfm_breaks(1, 1, 1) WHERE false));
-- a model literal without its cast is read as text: the error says to cast it
SELECT portrait.rfm_score(1, 1, 1, '{"kind": "rfm", "format": 1}');
SELECT portrait.rfm_score(1, 1, 1, '{"kind": "rfm", "format": 1}', 'cn8');

DROP TABLE summary;
