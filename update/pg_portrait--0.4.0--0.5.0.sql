-- pg_portrait 0.4.0 -> 0.5.0
\echo Use "ALTER EXTENSION pg_portrait UPDATE TO '0.5.0'" to load this file. \quit

-- ---------- rfm: the standard map read with inclusive bounds ----------

-- Added without a default and then filled, so the column has no stored
-- "missing" value and the catalog equals a fresh install's; the guard trigger
-- is off meanwhile, or filling the column would turn every row into a user rule.
ALTER TABLE @extschema@.rfm_segment_rule ADD COLUMN inclusive boolean;
ALTER TABLE @extschema@.rfm_segment_rule DISABLE TRIGGER rfm_segment_rule_guard;
UPDATE @extschema@.rfm_segment_rule SET inclusive = false;
ALTER TABLE @extschema@.rfm_segment_rule ENABLE TRIGGER rfm_segment_rule_guard;
ALTER TABLE @extschema@.rfm_segment_rule ALTER COLUMN inclusive SET DEFAULT false;
ALTER TABLE @extschema@.rfm_segment_rule ALTER COLUMN inclusive SET NOT NULL;
COMMENT ON COLUMN @extschema@.rfm_segment_rule.inclusive IS 'Lower bounds are inclusive too (low <= score <= high, as the standard map is published); false: low < score <= high';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.r_low IS 'Recency score must be greater than this, or at least this when inclusive (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.f_low IS 'Frequency score must be greater than this, or at least this when inclusive (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.m_low IS 'Monetary score must be greater than this, or at least this when inclusive (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.fm_low IS '(F + M) / 2 must be greater than this, or at least this when inclusive (NULL: no bound)';

-- Rows of the standard map still as installed are replaced by the inclusive
-- reading; rows a user edited (builtin false) keep their bounds and their
-- half-open reading, and rows a user deleted stay deleted.  Deleting and
-- inserting built-in rows bypasses the trigger that turns edits into user rules.
WITH replaced AS (
    DELETE FROM @extschema@.rfm_segment_rule
     WHERE map = 'standard' AND builtin
    RETURNING priority
)
INSERT INTO @extschema@.rfm_segment_rule
    (map, priority, segment, r_low, r_high, fm_low, fm_high, builtin, inclusive, description)
SELECT 'standard', v.priority, v.segment, v.r_low, v.r_high, v.fm_low, v.fm_high, true, true, v.description
  FROM (VALUES
    ( 1, 'Champions',          4, 5, 4, 5, 'Bought recently, buy often and spend the most'),
    ( 2, 'Loyal Customers',    2, 5, 3, 5, 'Buy regularly and spend well'),
    ( 3, 'Potential Loyalist', 3, 5, 1, 3, 'Recent customers with average frequency and spend'),
    ( 4, 'New Customers',      4, 5, 0, 1, 'Bought most recently, but rarely'),
    ( 5, 'Promising',          3, 4, 0, 1, 'Recent shoppers who have not spent much yet'),
    ( 6, 'Need Attention',     2, 3, 2, 3, 'Above-average recency, frequency and spend, but not lately'),
    ( 7, 'About To Sleep',     2, 3, 0, 2, 'Below-average recency, frequency and spend'),
    ( 8, 'Can''t Lose Them',   0, 1, 4, 5, 'Used to buy most and most often, but long ago'),
    ( 9, 'At Risk',            0, 2, 2, 5, 'Spent a lot and bought often, but long ago'),
    (10, 'Hibernating',        1, 2, 1, 2, 'Last purchase long ago, low spend and few orders'),
    (11, 'Lost',               0, 2, 0, 2, 'Lowest recency, frequency and spend'))
    AS v(priority, segment, r_low, r_high, fm_low, fm_high, description)
  JOIN replaced USING (priority);
