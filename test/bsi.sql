-- portrait.bsi: every comparison against the same condition in plain SQL on
-- rounded values, sums, round trips, parallel = serial, and every bad input.
BEGIN;
SELECT plan(30);

SELECT setseed(0.31);
CREATE TEMP TABLE bsi_v AS
SELECT i::bigint AS id,
       CASE WHEN random() < 0.1 THEN NULL
            WHEN random() < 0.3 THEN round((random() * 20 - 10)::numeric, 3)::float8   -- halves at scale 2
            ELSE random() * 2000 - 500 END AS x
FROM generate_series(0, 30000) i;
INSERT INTO bsi_v SELECT 100000 + i, (i / 1000.0)::float8 FROM generate_series(-3000, 3000) i;   -- 0.005 and its kind
INSERT INTO bsi_v VALUES (4294967295, 0.0), (4294967294, -0.0), (4294967293, 1e15);
ALTER TABLE bsi_v ADD COLUMN r numeric, ADD COLUMN r0 numeric;
UPDATE bsi_v SET r = round(x::numeric, 2), r0 = round(x::numeric);
CREATE TEMP TABLE bsi_b AS
SELECT portrait.bsi_agg(id, x, 2) AS b, portrait.bsi_agg(id, x::numeric, 2) AS bn,
       portrait.bsi_agg(id, r0::bigint, 0) AS bi FROM bsi_v;
CREATE TEMP TABLE bsi_c AS
SELECT c FROM (VALUES (0), (0.5), (-0.005), (0.005), (1.234), (-10), (999.999), (1e20), (-1e20), (2.5), (-2.5), (1e15)) t(c)
UNION ALL SELECT round((random() * 2400 - 600)::numeric, (random() * 4)::int) FROM generate_series(1, 24);

SELECT is((SELECT portrait.bsi_count(b) FROM bsi_b), (SELECT count(x) FROM bsi_v), 'one value per id with a value');
SELECT is((SELECT count(*) FROM portrait.bsi_values((SELECT b FROM bsi_b)) t JOIN bsi_v v USING (id)
           WHERE t.value IS DISTINCT FROM round(v.x::numeric, 2)), 0::bigint,
          'float8 values are kept as r, halves away from zero');
SELECT is((SELECT b::text FROM bsi_b), (SELECT bn::text FROM bsi_b), 'float8 and numeric inputs give the same index');
SELECT is((SELECT count(*) FROM bsi_c, unnest(ARRAY['=', '<>', '!=', '<', '<=', '>', '>=']) op
           WHERE portrait.bitmap_cardinality(portrait.bsi_compare((SELECT b FROM bsi_b), op, c)) <>
                 (SELECT count(*) FROM bsi_v WHERE CASE op WHEN '=' THEN r = c
                      WHEN '<' THEN r < c WHEN '<=' THEN r <= c
                      WHEN '>' THEN r > c WHEN '>=' THEN r >= c
                      ELSE r <> c END)), 0::bigint,
          'every comparison with 36 constants equals SQL on the rounded values (constants not rounded)');
SELECT is((SELECT count(*) FROM bsi_c c1, bsi_c c2
           WHERE mod(floor(abs(c1.c * 7 + c2.c)), 5) = 0
             AND NOT portrait.bsi_between((SELECT b FROM bsi_b), c1.c, c2.c)
                 OPERATOR(portrait.=) coalesce((SELECT portrait.bitmap_agg(id) FROM bsi_v WHERE r BETWEEN c1.c AND c2.c), '{}')), 0::bigint,
          'BETWEEN gives the same ids as SQL, empty ranges included');
SELECT is((SELECT count(*) FROM bsi_c, unnest(ARRAY['<', '>=', '=']) op
           WHERE portrait.bitmap_cardinality(portrait.bsi_compare((SELECT bi FROM bsi_b), op, c)) <>
                 (SELECT count(*) FROM bsi_v WHERE CASE op WHEN '<' THEN r0 < c WHEN '>=' THEN r0 >= c
                      ELSE r0 = c END)), 0::bigint,
          'at scale 0 too');
SELECT is((SELECT portrait.bsi_sum(b) FROM bsi_b), (SELECT sum(r) FROM bsi_v), 'the sum is exact');
SELECT is((SELECT portrait.bsi_sum(b, portrait.bsi_compare(b, '<', -1)) FROM bsi_b),
          (SELECT sum(r) FROM bsi_v WHERE r < -1), 'the sum over a filter is exact');
SELECT is((SELECT portrait.bsi_value(b, 4294967293) FROM bsi_b), 1000000000000000.00, 'the value of one id');
SELECT is((SELECT portrait.bsi_value(b, 7777777) FROM bsi_b), NULL, 'an id without a value has none');
SELECT ok((SELECT portrait.bsi_ids(b) OPERATOR(portrait.=) (SELECT portrait.bitmap_agg(id) FROM bsi_v WHERE x IS NOT NULL) FROM bsi_b),
          'bsi_ids are the ids with a value');
SELECT ok((SELECT b::text::portrait.bsi::text = b::text FROM bsi_b), 'the text form round-trips');
SELECT ok((SELECT b::bytea::portrait.bsi::bytea = b::bytea FROM bsi_b), 'the binary form round-trips');
SELECT ok((SELECT portrait.bsi_send(b) = b::bytea FROM bsi_b), 'send writes the binary form');
SELECT is(portrait.bsi_scale('{1:0.5,2:3.125}'), 3, 'text input takes the most decimals written as the scale');
SELECT is('{}'::portrait.bsi::text, '{}', 'an empty index');

-- parallel partial states merge to the serial index, byte for byte
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT is((SELECT portrait.bsi_agg(id, x, 2)::bytea FROM bsi_v), (SELECT b::bytea FROM bsi_b), 'parallel = serial');
SELECT is((SELECT portrait.bsi_agg(id, x, 2)::bytea FROM (SELECT * FROM bsi_v ORDER BY random()) s),
          (SELECT b::bytea FROM bsi_b), 'row order does not matter');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- bad input
SELECT throws_ok($$SELECT portrait.bsi_agg(i, 1.0::float8, NULL) FROM generate_series(1, 2) i$$, '22004', NULL, 'a NULL scale is 22004');
SELECT throws_ok($$SELECT portrait.bsi_agg(i, 1.0::float8, 13) FROM generate_series(1, 2) i$$, '22023', NULL, 'a scale past 12 is 22023');
SELECT throws_ok($$SELECT portrait.bsi_agg(i, 1.0::float8, i::int) FROM generate_series(1, 2) i$$, '22023', NULL, 'a changing scale is 22023');
SELECT throws_ok($$SELECT portrait.bsi_agg(i % 3, i, 0) FROM generate_series(1, 5) i$$, '21000', NULL, 'an id with two values is 21000');
SELECT throws_ok($$SELECT portrait.bsi_agg(5000000000, 1, 0)$$, '22003', NULL, 'an id past 2^32 is 22003');
SELECT throws_ok($$SELECT portrait.bsi_agg(1, 'NaN'::float8, 2)$$, '22023', NULL, 'NaN is 22023');
SELECT throws_ok($$SELECT portrait.bsi_agg(1, 1e17::numeric, 2)$$, '22003', NULL, 'a value past 10^18 units is 22003');
SELECT throws_ok($$SELECT portrait.bsi_compare('{1:1}', '~', 1)$$, '22023', NULL, 'an unknown comparison is 22023');
SELECT throws_ok($$SELECT portrait.bsi_compare('{1:1}', '<', 'NaN')$$, '22023', NULL, 'a comparison with NaN is 22023');
SELECT throws_ok($$SELECT '{1:1,}'::portrait.bsi$$, '22P02', NULL, 'bad text is 22P02');
SELECT throws_ok($$SELECT '\x01020000'::bytea::portrait.bsi$$, '22P03', NULL, 'a header without its bitmaps is 22P03');
-- every truncation and one-byte change of a real index: 22P03 or an index, never a crash
SELECT lives_ok($q$DO $d$ DECLARE blob bytea := '{1:0.50,2:-3.25,70000:12.00,70001:-0.01}'::portrait.bsi::bytea; i int; b bytea; BEGIN
    FOR i IN 0 .. length(blob) - 1 LOOP
        BEGIN PERFORM portrait.bsi_sum(substr(blob, 1, i)::portrait.bsi);
        EXCEPTION WHEN invalid_binary_representation THEN NULL; END;
        b := set_byte(blob, i, (get_byte(blob, i) + 1 + i % 200) % 256);
        BEGIN PERFORM portrait.bsi_sum(b::portrait.bsi), portrait.bsi_compare(b::portrait.bsi, '<', 0);
        EXCEPTION WHEN invalid_binary_representation THEN NULL; END;
    END LOOP; END $d$$q$, 'truncated and altered blobs give 22P03 or an index, never a crash');

SELECT * FROM finish();
ROLLBACK;
