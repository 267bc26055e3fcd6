-- Interoperability: bitmaps serialised by Go RoaringBitmap
-- (test/data/roaring/make_fixture.go, fixture test/fixtures/roaring.sql) are
-- read with their exact contents, and where Go ran RunOptimize (the form
-- pg_portrait always stores) our serialisation of the same ids is
-- byte-identical to Go's.
BEGIN;
SELECT plan(5);

SELECT is((SELECT count(*) FROM roaring_ref.go_bitmaps), 10::bigint, 'the fixture has ten bitmaps');
SELECT is((SELECT count(*) FROM roaring_ref.go_bitmaps
           WHERE portrait.bitmap_cardinality(blob::portrait.bitmap) = cardinality), 10::bigint,
          'every Go bitmap reads with its cardinality');
SELECT is((SELECT count(*) FROM roaring_ref.go_bitmaps WHERE md5(blob::portrait.bitmap::text) = ids_md5), 10::bigint,
          'every Go bitmap reads with exactly its ids');
SELECT is((SELECT array_agg(name ORDER BY name) FROM roaring_ref.go_bitmaps
           WHERE optimised AND blob::portrait.bitmap::bytea = blob),
          ARRAY['dense', 'empty', 'runs', 'small', 'sparse'],
          'our serialisation equals Go''s run-optimised one byte for byte');
SELECT is((SELECT count(*) FROM roaring_ref.go_bitmaps g
           WHERE g.optimised AND (SELECT portrait.bitmap_agg(u) FROM portrait.bitmap_unnest(g.blob::portrait.bitmap) u)::bytea
                 IS NOT DISTINCT FROM CASE WHEN g.cardinality = 0 THEN NULL ELSE g.blob END), 5::bigint,
          'bitmap_agg of the ids of a Go bitmap serialises as Go does');

SELECT * FROM finish();
ROLLBACK;
