-- portrait.bitmap: set algebra against plain SQL on random ids, round trips
-- of the text and binary forms, parallel = serial, and every bad input.
BEGIN;
SELECT plan(32);

SELECT setseed(0.22);
CREATE TEMP TABLE bm_ids AS
SELECT (random() * 200000)::bigint AS id, (random() * 3)::int AS g
FROM generate_series(1, 60000);
INSERT INTO bm_ids SELECT 4294967295, 0;            -- the largest id
INSERT INTO bm_ids SELECT i, 1 FROM generate_series(70000, 140000) i;  -- a run
CREATE TEMP TABLE bm AS
SELECT g, portrait.bitmap_agg(id) AS b FROM bm_ids GROUP BY g;

-- ---------- set algebra equals plain SQL ----------

SELECT is((SELECT portrait.bitmap_cardinality(b) FROM bm WHERE g = 0),
          (SELECT count(DISTINCT id) FROM bm_ids WHERE g = 0), 'cardinality = count(DISTINCT id)');
SELECT is((SELECT portrait.bitmap_cardinality(a.b OPERATOR(portrait.&) c.b) FROM bm a, bm c WHERE a.g = 0 AND c.g = 1),
          (SELECT count(*) FROM (SELECT id FROM bm_ids WHERE g = 0 INTERSECT SELECT id FROM bm_ids WHERE g = 1) s),
          'and = INTERSECT');
SELECT is((SELECT portrait.bitmap_cardinality(a.b OPERATOR(portrait.|) c.b) FROM bm a, bm c WHERE a.g = 0 AND c.g = 1),
          (SELECT count(*) FROM (SELECT id FROM bm_ids WHERE g = 0 UNION SELECT id FROM bm_ids WHERE g = 1) s),
          'or = UNION');
SELECT is((SELECT portrait.bitmap_cardinality(a.b OPERATOR(portrait.-) c.b) FROM bm a, bm c WHERE a.g = 0 AND c.g = 1),
          (SELECT count(*) FROM (SELECT id FROM bm_ids WHERE g = 0 EXCEPT SELECT id FROM bm_ids WHERE g = 1) s),
          'andnot = EXCEPT');
SELECT is((SELECT portrait.bitmap_cardinality(a.b OPERATOR(portrait.#) c.b) FROM bm a, bm c WHERE a.g = 0 AND c.g = 1),
          (SELECT count(*) FROM ((SELECT id FROM bm_ids WHERE g = 0 EXCEPT SELECT id FROM bm_ids WHERE g = 1)
                                 UNION (SELECT id FROM bm_ids WHERE g = 1 EXCEPT SELECT id FROM bm_ids WHERE g = 0)) s),
          'xor = symmetric difference');
SELECT set_eq($$SELECT portrait.bitmap_unnest(b) FROM bm WHERE g = 2$$,
              $$SELECT DISTINCT id FROM bm_ids WHERE g = 2$$, 'bitmap_unnest gives the distinct ids');
SELECT is((SELECT portrait.bitmap_to_array(b) FROM bm WHERE g = 2),
          (SELECT array_agg(DISTINCT id ORDER BY id) FROM bm_ids WHERE g = 2), 'bitmap_to_array: the ids ascending');
SELECT ok((SELECT bool_and(portrait.bitmap_contains(b, id)) FROM bm JOIN bm_ids USING (g) WHERE id % 97 = 0), 'every id (a sample) is contained');
SELECT ok((SELECT portrait.bitmap_contains(b, 4294967295) AND NOT portrait.bitmap_contains(b, 4294967296)
             AND NOT portrait.bitmap_contains(b, -1) FROM bm WHERE g = 0), 'contains: the largest id, never an out-of-range one');
SELECT ok((SELECT portrait.bitmap_or_agg(b) FROM bm) OPERATOR(portrait.=) (SELECT portrait.bitmap_agg(id) FROM bm_ids),
          'bitmap_or_agg of the groups = bitmap_agg of all rows');
SELECT is((SELECT portrait.bitmap_agg(id::int) FROM bm_ids WHERE g = 2 AND id < 2147483648)::text,
          (SELECT b::text FROM bm WHERE g = 2), 'bitmap_agg(integer) = bitmap_agg(bigint)');

-- ---------- round trips ----------

SELECT ok((SELECT bool_and(b::text::portrait.bitmap OPERATOR(portrait.=) b) FROM bm), 'text form round-trips');
SELECT ok((SELECT bool_and(b::bytea::portrait.bitmap::bytea = b::bytea) FROM bm), 'portable serialisation round-trips byte for byte');
SELECT ok((SELECT bool_and(portrait.bitmap_send(b) = b::bytea) FROM bm), 'send writes the portable serialisation');

-- ---------- parallel workers: identical bitmaps ----------

CREATE TABLE bm_par_src AS SELECT * FROM bm_ids;
ANALYZE bm_par_src;
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT g, portrait.bitmap_agg(id) FROM bm_par_src GROUP BY g$$),
               'Partial', 'bitmap_agg runs as a partial aggregate in parallel workers');
CREATE TEMP TABLE bm_par AS SELECT g, portrait.bitmap_agg(id)::bytea AS b FROM bm_par_src GROUP BY g;
CREATE TEMP TABLE bm_par_all AS SELECT portrait.bitmap_agg(id)::bytea AS b FROM bm_par_src;
CALL test_helpers.reset_parallel();
SELECT is((SELECT array_agg(b ORDER BY g) FROM bm_par), (SELECT array_agg(b::bytea ORDER BY g) FROM bm),
          'parallel and serial plans give byte-identical bitmaps per group');
SELECT is((SELECT b FROM bm_par_all), (SELECT portrait.bitmap_agg(id)::bytea FROM bm_ids),
          'parallel and serial plans give a byte-identical bitmap of all rows');
DROP TABLE bm_par_src;

-- ---------- bad input ----------

SELECT throws_ok($$SELECT '{1,4294967296}'::portrait.bitmap$$, '22003', NULL, 'an id past 2^32 is 22003');
SELECT throws_ok($$SELECT portrait.bitmap_agg(x) FROM (VALUES (-5::bigint)) v(x)$$, '22003', NULL, 'a negative id in bitmap_agg is 22003');
SELECT throws_ok($$SELECT portrait.bitmap_of('{1,5000000000}')$$, '22003', NULL, 'an id past 2^32 in bitmap_of is 22003');
SELECT throws_ok($$SELECT '{1,,2}'::portrait.bitmap$$, '22P02', NULL, 'bad text is 22P02');
SELECT throws_ok($$SELECT '\xdeadbeef'::bytea::portrait.bitmap$$, '22P03', NULL, 'a blob that is no serialisation is 22P03');
SELECT throws_ok($$SELECT substr(b::bytea, 1, length(b::bytea) - 1)::portrait.bitmap FROM bm WHERE g = 0$$,
                 '22P03', NULL, 'a truncated serialisation is 22P03');
-- random garbage of every length up to 64 bytes: an error or a bitmap, never a crash
SELECT lives_ok($q$DO $d$ DECLARE i int; blob bytea; BEGIN
    PERFORM setseed(0.5);
    FOR i IN 1 .. 2000 LOOP
        blob := decode(substr(md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 1, 2 * (i % 64)), 'hex');
        IF i % 3 = 0 THEN blob := '\x3a300000'::bytea || blob; END IF;
        IF i % 3 = 1 THEN blob := '\x3b30'::bytea || blob; END IF;
        BEGIN PERFORM portrait.bitmap_cardinality(blob::portrait.bitmap);
        EXCEPTION WHEN invalid_binary_representation THEN NULL; END;
    END LOOP; END $d$$q$, 'random blobs give 22P03 or a bitmap, never a crash');
SELECT throws_ok($$SELECT portrait.bitmap_add_trans(NULL, 1::bigint)$$, '0A000', NULL, 'the transition function outside an aggregate is 0A000');

-- ---------- hostile blobs: 22P03 or a valid bitmap, never a crash ----------

-- 'ok' when the bytes read as a bitmap that round-trips, else the SQLSTATE
CREATE FUNCTION pg_temp.bitmap_outcome(b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v portrait.bitmap;
BEGIN
    v := b::portrait.bitmap;
    IF v::text::portrait.bitmap::text <> v::text
       OR portrait.bitmap_cardinality(v) <> coalesce(array_length(portrait.bitmap_to_array(v), 1), 0) THEN
        RETURN 'inconsistent';
    END IF;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
CREATE TEMP TABLE valid_blobs AS
SELECT 'array' AS name, '{1,2,3,70000,4294967295}'::portrait.bitmap::bytea AS blob
UNION ALL SELECT 'run', (SELECT portrait.bitmap_agg(i) FROM generate_series(100, 9000) i)::bytea
UNION ALL SELECT 'dense', (SELECT portrait.bitmap_agg(i * 3) FROM generate_series(1, 6000) i)::bytea;

SELECT is((SELECT count(*)::int FROM valid_blobs g, generate_series(0, length(g.blob) - 1) n
            WHERE pg_temp.bitmap_outcome(substr(g.blob, 1, n)) <> '22P03'), 0,
          'every truncation of a valid blob is refused with 22P03');
SELECT is((SELECT count(*)::int FROM valid_blobs g, generate_series(1, least(length(g.blob), 64)) n, (VALUES (1), (128), (255)) x(v)
            WHERE pg_temp.bitmap_outcome(overlay(g.blob placing decode(lpad(to_hex((get_byte(g.blob, n - 1) # x.v)), 2, '0'), 'hex') from n for 1))
                  NOT IN ('22P03', 'ok')), 0,
          'every one-byte corruption of a blob''s first 64 bytes is refused with 22P03 or reads as a valid bitmap');
SELECT is((SELECT count(*)::int FROM generate_series(1, 400) k
            WHERE pg_temp.bitmap_outcome(
                      CASE WHEN k % 2 = 0 THEN '\x3a300000'::bytea ELSE '\x3b30'::bytea END ||
                      decode(md5(k::text) || md5((k * 7)::text), 'hex')) NOT IN ('22P03', 'ok')), 0,
          'random bytes behind a valid cookie are refused with 22P03 or read as a valid bitmap');
SELECT throws_ok($$SELECT '\x3930000000000000'::bytea::portrait.bitmap$$, '22P03', 'invalid Roaring bitmap serialisation', 'a wrong cookie is refused');
SELECT throws_ok($$SELECT '\x3a30000002000000010000000000000018000000200000000100'::bytea::portrait.bitmap$$, '22P03', NULL,
                 'container keys out of order are refused');
SELECT throws_ok($$SELECT ('\x3a30000001000000000001001000000005000100'::bytea)::portrait.bitmap$$, '22P03', NULL,
                 'unsorted array values are refused');
SELECT throws_ok($$SELECT ('{1,2,3}'::portrait.bitmap::bytea || '\x00'::bytea)::portrait.bitmap$$, '22P03', NULL,
                 'trailing bytes are refused');

SELECT * FROM finish();
ROLLBACK;
