-- Key dictionary: ids dense, stable across a rebuild with new keys, never
-- reused, kept by pg_dump (configuration tables), bad input.
BEGIN;
SELECT plan(8);

SELECT is(portrait.dictionary_assign('t_base', array_agg('k' || g)), 5000::bigint, 'the first assignment numbers every key')
FROM generate_series(1, 5000) g;
SELECT is((SELECT count(*) FROM portrait.key_dictionary WHERE base = 't_base' AND id BETWEEN 0 AND 4999), 5000::bigint,
          'ids are dense: 0 .. n-1');
CREATE TEMP TABLE dict_before AS SELECT key, id FROM portrait.key_dictionary WHERE base = 't_base';
-- a rebuild: the keys again in another order, half of them gone, 1000 new
SELECT is(portrait.dictionary_assign('t_base', array_agg('k' || g ORDER BY md5(g::text))), 1000::bigint,
          'a rebuild adds only the new keys')
FROM generate_series(2500, 6000) g;
SELECT is((SELECT count(*) FROM dict_before b JOIN portrait.key_dictionary d ON d.base = 't_base' AND d.key = b.key AND d.id = b.id),
          5000::bigint, 'every known key keeps its id across the rebuild');
SELECT is((SELECT min(id) FROM portrait.key_dictionary WHERE base = 't_base' AND key NOT IN (SELECT key FROM dict_before)),
          5000::bigint, 'new keys get ids after the old ones');
DELETE FROM portrait.key_dictionary WHERE base = 't_base' AND id >= 5500;
SELECT is(portrait.dictionary_assign('t_base', ARRAY['fresh']), 1::bigint, 'one new key');
SELECT is((SELECT id FROM portrait.key_dictionary WHERE base = 't_base' AND key = 'fresh'), 6000::bigint,
          'deleted ids are never given again');
SELECT throws_ok($$SELECT portrait.dictionary_assign(NULL, ARRAY['x'])$$, '22004', NULL, 'a NULL base is 22004');

SELECT * FROM finish();
ROLLBACK;
