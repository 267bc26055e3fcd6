-- portrait.model: the one model type.  Its text form is JSON that reads back
-- to the identical value; every function that takes a model checks its kind.

-- An rfm model written by hand (normally rfm_breaks makes it).
SELECT '{"kind": "rfm", "format": 1, "buckets": 3, "n": 9,
         "recency": [30, 10], "frequency": [1, 2], "monetary": [100, 250.5],
         "mean_score": [2, 1.8, 2]}'::portrait.model AS m \gset

SELECT :'m'::portrait.model;
SELECT portrait.model_kind(:'m');

-- Exact round trip: text -> model -> text -> model gives the same bytes.
SELECT :'m'::portrait.model::text::portrait.model::text = :'m'::portrait.model::text AS round_trip;
SELECT '{"kind": "rfm", "format": 1, "buckets": 2, "n": 1, "recency": [0.1],
         "frequency": [0.30000000000000004], "monetary": [1e-300], "mean_score": [1, 1, 1]}'::portrait.model;

-- Keys may come in any order; output is in the kind's canonical order.
SELECT '{"n": 9, "format": 1, "mean_score": [2, 2, 2], "monetary": [1, 2], "frequency": [1, 2],
         "recency": [2, 1], "buckets": 3, "kind": "rfm"}'::portrait.model;

-- The binary form (COPY BINARY, drivers' binary mode) round-trips too.
CREATE TABLE models (m portrait.model);
INSERT INTO models VALUES (:'m');
\copy models TO 'results/models.bin' WITH (FORMAT binary)
\copy models FROM 'results/models.bin' WITH (FORMAT binary)
SELECT count(DISTINCT m::text) AS distinct_models, count(*) AS rows FROM models;
DROP TABLE models;

-- A cast to jsonb, for BI tools and jsonb operators.
SELECT (:'m'::portrait.model::jsonb) -> 'monetary' AS monetary_cuts;
SELECT jsonb_typeof(:'m'::portrait.model::jsonb -> 'buckets');

-- Malformed models are refused (SQLSTATE 22P02; test/rfm.sql checks the codes).
SELECT 'not json'::portrait.model;
SELECT '[1, 2]'::portrait.model;
SELECT '{"kind": "nonsense", "format": 1}'::portrait.model;
SELECT '{"kind": "rfm", "format": 99}'::portrait.model;
SELECT '{"kind": "rfm", "format": 1, "buckets": 3}'::portrait.model;
SELECT '{"kind": "rfm", "format": 1, "buckets": 3, "n": 9, "recency": [1], "frequency": [1, 2],
         "monetary": [1, 2], "mean_score": [2, 2, 2]}'::portrait.model;
SELECT '{"kind": "rfm", "format": 1, "buckets": 3, "n": 9, "recency": ["a", "b"], "frequency": [1, 2],
         "monetary": [1, 2], "mean_score": [2, 2, 2]}'::portrait.model;
SELECT '{"kind": "rfm", "format": 1, "buckets": 3, "n": 9, "recency": [2, 1], "frequency": [1, 2],
         "monetary": [1, 2], "mean_score": [2, 2, 2], "extra": 1}'::portrait.model;
SELECT '{"kind": "rfm", "format": 1, "buckets": 3, "n": 9, "recency": [2, 1], "frequency": [1, 2],
         "monetary": [1, 1e400], "mean_score": [2, 2, 2]}'::portrait.model;
SELECT '{"kind": "rfm", "format": 1, "buckets": 3, "n": 9, "recency": [1, 2], "frequency": [1, 2],
         "monetary": [1, 2], "mean_score": [2, 2, 2]}'::portrait.model;
