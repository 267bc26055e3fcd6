-- portrait.bitmap: sets of dense customer ids (CRoaring)
SET search_path = portrait, public;

-- text form: the ids ascending, duplicates and order of the input ignored
SELECT '{5, 1, 3, 3}'::bitmap AS b, '{}'::bitmap AS empty;
SELECT bitmap_cardinality('{1,2,3,4294967295}'), bitmap_contains('{1,2,3}', 2), bitmap_contains('{1,2,3}', -1);

-- set operations
SELECT '{1,2,3}'::bitmap & '{2,3,4}' AS "and", '{1,2,3}'::bitmap | '{2,3,4}' AS "or",
       '{1,2,3}'::bitmap - '{2,3,4}' AS andnot, '{1,2,3}'::bitmap # '{2,3,4}' AS "xor";
SELECT '{3,1,2}'::bitmap = '{1,2,3}' AS same, bitmap_to_array('{10,2,7}');
SELECT * FROM bitmap_unnest('{10,2,7}');

-- the binary form is Roaring's portable serialisation: cookie 12346, one
-- array container of key 0 and cardinality 3, its offset, the three values
SELECT '{1,3,5}'::bitmap::bytea;
SELECT '\x3a300000010000000000020010000000010003000500'::bytea::bitmap;
SELECT '\x3a30000001000000000002001000000001000300050000'::bytea::bitmap;
-- consecutive ids become a run container (cookie 12347)
SELECT '{1,2,3}'::bitmap::bytea;
-- a dense range is stored as a run container (cookie 12347)
SELECT length(bitmap_agg(i)::bytea) AS bytes FROM generate_series(1, 100000) i;

-- the aggregate: NULL ids skipped, no rows give NULL
SELECT bitmap_agg(x) FROM (VALUES (3), (NULL), (1)) v(x);
SELECT bitmap_agg(x) IS NULL AS no_rows FROM (VALUES (1::bigint)) v(x) WHERE false;
SELECT g, bitmap_agg(i) FROM generate_series(1, 10) i, LATERAL (SELECT i % 3 AS g) s GROUP BY g ORDER BY g;
SELECT bitmap_or_agg(b) FROM (VALUES ('{1}'::bitmap), ('{5,6}'), (NULL)) v(b);

-- errors
SELECT '{1,-2}'::bitmap;
SELECT '{4294967296}'::bitmap;
SELECT '{1,2'::bitmap;
SELECT bitmap_agg(x) FROM (VALUES (-1)) v(x);
SELECT '\x0102'::bytea::bitmap;
SELECT ''::bytea::bitmap;
SELECT '\x3a30000001000000000009001000000001000200030000'::bytea::bitmap;
