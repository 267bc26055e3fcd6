-- Anomalous customers and readable rules, on the RFM summaries of test/demo/portrait.sql
-- (run after it in the same session: it reads the temp table scored).

CREATE TEMP TABLE rfm_features AS
SELECT customer_id, segment, ARRAY[recency_days, frequency, monetary]::float8[] AS f FROM scored;
CREATE TEMP TABLE anomaly_model AS
SELECT portrait.iforest_fit(f, '{"seed": 1, "feature_names": ["recency days", "orders", "spend"]}') AS m
FROM rfm_features;

\echo
\echo '== The most anomalous customers (isolation forest, 100 trees) and why (robust z: median / 1.4826 MAD)'
SELECT customer_id, segment, round(portrait.anomaly_score(m, f)::numeric, 3) AS score,
       (SELECT string_agg(reason, '; ' ORDER BY rank) FROM portrait.anomaly_reasons(m, f, 2)) AS why
FROM rfm_features, anomaly_model
ORDER BY portrait.anomaly_score(m, f) DESC, customer_id LIMIT 8;

\echo
\echo '== What makes a Champion, as rules (a depth-3 tree of Champions against the rest)'
SELECT unnest(portrait.segment_rules(f, segment, '{"segment": "Champions", "feature_names": ["recency_days", "frequency", "monetary"]}')) AS rule
FROM rfm_features;

\echo
\echo '== Rules of the whole RFM map (a depth-3 tree of every segment), largest leaves first'
SELECT unnest(portrait.segment_rules(f, segment, '{"feature_names": ["recency_days", "frequency", "monetary"]}')) AS rule
FROM rfm_features;
