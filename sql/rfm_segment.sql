-- Segment maps: rules in portrait.rfm_segment_rule, first match wins.
-- Bounds: low < value <= high, or low <= value <= high for an inclusive rule
-- (NULL = unbounded); fm = (f + m) / 2.  The standard map is inclusive, as
-- the table is published: "R 4-5" means the scores 4 and 5.
SELECT map, priority, segment, r_low, r_high, fm_low, fm_high, relative, inclusive
FROM portrait.rfm_segment_rule WHERE map = 'standard' ORDER BY priority;

-- Every (r, fm) cell of the standard map has a segment (fm in steps of 0.5):
SELECT r, string_agg(portrait.rfm_segment(r, ceil(fm)::int, (2 * fm - ceil(fm))::int), ' | ' ORDER BY fm)
       AS "fm = 1, 1.5 .. 5"
FROM generate_series(1, 5) r, generate_series(1, 5, 0.5) fm GROUP BY r ORDER BY r DESC;

-- R = F = M = 4 is a Champion.  Read inclusively, New Customers, Promising
-- and Lost have no cell of scores 1..5: Potential Loyalist (R 3-5, FM 1-3),
-- About To Sleep and Hibernating come first.
SELECT portrait.rfm_segment(4, 4, 4) AS champion, portrait.rfm_segment(1, 5, 5) AS cant_lose,
       portrait.rfm_segment(5, 1, 1) AS recent_low_value;

-- cn8 compares each score with the population mean score, so it needs the
-- rfm model (or the window form of rfm_score, which has the population).
SELECT '{"kind": "rfm", "format": 1, "buckets": 5, "n": 100, "recency": [200, 90, 40, 10],
         "frequency": [1, 1, 2, 4], "monetary": [20, 50, 120, 400],
         "mean_score": [3, 2.4, 3]}'::portrait.model AS m \gset
SELECT r, f, m, portrait.rfm_segment(r, f, m, 'cn8', :'m')
FROM (VALUES (5, 5, 5), (4, 2, 4), (2, 3, 5), (1, 1, 4), (4, 4, 1), (5, 1, 2), (2, 5, 2), (3, 1, 3)) v(r, f, m);
SELECT portrait.rfm_segment(5, 5, 5, 'cn8');

-- Teams edit the map: rename a segment, or add a map of their own.
UPDATE portrait.rfm_segment_rule SET segment = 'VIP' WHERE map = 'standard' AND priority = 1;
SELECT portrait.rfm_segment(5, 5, 5);
SELECT builtin FROM portrait.rfm_segment_rule WHERE map = 'standard' AND priority = 1;
INSERT INTO portrait.rfm_segment_rule (map, priority, segment, r_low, fm_low) VALUES
    ('two', 1, 'active', 3, NULL), ('two', 2, 'inactive', NULL, NULL);
SELECT r, portrait.rfm_segment(r, 3, 3, 'two') FROM generate_series(1, 5) r;
SELECT portrait.rfm_segment(5, 5, 5, 'missing');
-- scores no rule of the map covers are an error, not a silent NULL
SELECT portrait.rfm_segment(9, 5, 5);
SELECT portrait.rfm_segment(1, 9, 9);

-- (put the map back for the suites that follow)
UPDATE portrait.rfm_segment_rule SET segment = 'Champions', builtin = true WHERE map = 'standard' AND priority = 1;
DELETE FROM portrait.rfm_segment_rule WHERE map = 'two';
