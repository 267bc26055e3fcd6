-- Tag library: every built bitmap and numeric index equals the plain-SQL
-- set, a parallel build equals a serial one, a query as source equals the
-- table, the dictionary is stable across refreshes, snapshots and retention,
-- hostile tag and column names, and a low-privilege role reads no tag data
-- or member list.
BEGIN;
SELECT plan(23);

SELECT setseed(0.7);
CREATE TABLE tg_profile (cust uuid, "seg""; DROP TABLE x; --" text, tier text, vip boolean,
                         spend numeric, risk float8, orders integer);
INSERT INTO tg_profile
SELECT md5('c' || g)::uuid, (ARRAY['A', 'B', 'C', NULL])[1 + (random() * 3.99)::int],
       'tier' || (random() * 4)::int, CASE WHEN random() < 0.1 THEN NULL ELSE random() < 0.3 END,
       CASE WHEN random() < 0.05 THEN NULL ELSE round((random() * 5000 - 100)::numeric, 3) END,
       random(), (random() * 40)::int
FROM generate_series(1, 20000) g;
ANALYZE tg_profile;
INSERT INTO portrait.tag (name, value_type, source_column) VALUES
    ('x''); DELETE FROM portrait.tag; --', 'categorical', 'seg"; DROP TABLE x; --'),
    ('tier', 'categorical', 'tier'), ('vip', 'boolean', 'vip');
INSERT INTO portrait.tag (name, value_type, source_column, scale) VALUES
    ('spend', 'numeric', 'spend', 2), ('risk', 'numeric', 'risk', 3), ('orders', 'numeric', 'orders', 0);

SELECT is(portrait.build_tags('tg', 'tg_profile', 'cust', '2026-11-01'),
          (SELECT count(DISTINCT "seg""; DROP TABLE x; --") + count(DISTINCT tier) + 1 + 3 FROM tg_profile),
          'one bitmap per non-NULL categorical value, one for the boolean tag, one index per numeric tag (hostile names quoted)');
SELECT is((SELECT count(*) FROM portrait.tag), 6::bigint, 'the hostile tag name ran nothing');
SELECT is_empty($$
    SELECT t.tag, t.value FROM portrait.tag_bitmap t
    WHERE t.base = 'tg' AND NOT t.members OPERATOR(portrait.=) (
        SELECT portrait.bitmap_agg(d.id) FROM tg_profile p JOIN portrait.key_dictionary d ON d.base = 'tg' AND d.key = p.cust::text
        WHERE CASE t.tag WHEN 'tier' THEN p.tier = t.value WHEN 'vip' THEN p.vip
                         ELSE p."seg""; DROP TABLE x; --" = t.value END)$$,
    'every bitmap holds exactly the customers of its value');
SELECT is((SELECT count(*) FROM portrait.key_dictionary WHERE base = 'tg'), 20000::bigint, 'every customer has an id');
SELECT is_empty($$
    SELECT n.tag FROM portrait.tag_numeric n
    WHERE n.base = 'tg' AND n.members::bytea IS DISTINCT FROM (
        SELECT CASE n.tag WHEN 'spend' THEN portrait.bsi_agg(d.id, p.spend, 2)
                          WHEN 'risk' THEN portrait.bsi_agg(d.id, p.risk, 3)
                          ELSE portrait.bsi_agg(d.id, p.orders, 0) END::bytea
        FROM tg_profile p JOIN portrait.key_dictionary d ON d.base = 'tg' AND d.key = p.cust::text)$$,
    'every numeric index is the one bsi_agg gives (numeric, float8 and integer columns)');
SELECT is((SELECT members::bytea FROM portrait.tag_snapshot WHERE base = 'tg' AND snapshot = '2026-11-01'),
          (SELECT portrait.bitmap_agg(id)::bytea FROM portrait.key_dictionary WHERE base = 'tg'),
          'the population of the snapshot is every customer of the profile');

-- the first build assigned the ids in the scan; a rebuild finds them known:
-- the same bitmaps
CREATE TEMP TABLE tg_serial AS
SELECT tag, value, members::bytea AS b FROM portrait.tag_bitmap WHERE base = 'tg'
UNION ALL SELECT tag, NULL, members::bytea FROM portrait.tag_numeric WHERE base = 'tg';
SELECT portrait.build_tags('tg', 'tg_profile', 'cust', '2026-11-02');
SELECT set_eq($$SELECT tag, value, members::bytea FROM portrait.tag_bitmap WHERE base = 'tg' AND snapshot = '2026-11-02'
                UNION ALL SELECT tag, NULL, members::bytea FROM portrait.tag_numeric WHERE base = 'tg' AND snapshot = '2026-11-02'$$,
              $$SELECT tag, value, b FROM tg_serial$$, 'a rebuild with every key known gives the same bitmaps and indexes');

-- the build's scan in parallel workers gives byte-identical bitmaps
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT d.id, s.cust::text, s.tier::text FROM (SELECT * FROM tg_profile) s LEFT JOIN portrait.key_dictionary d ON d.base = 'tg' AND d.key = s.cust::text$$),
               'Gather', 'the shape of the build''s scan runs in parallel workers');
SELECT portrait.build_tags('tg', 'tg_profile', 'cust', '2026-11-03');
CALL test_helpers.reset_parallel();
SELECT set_eq($$SELECT tag, value, members::bytea FROM portrait.tag_bitmap WHERE base = 'tg' AND snapshot = '2026-11-03'
                UNION ALL SELECT tag, NULL, members::bytea FROM portrait.tag_numeric WHERE base = 'tg' AND snapshot = '2026-11-03'$$,
              $$SELECT tag, value, b FROM tg_serial$$, 'a parallel build gives byte-identical bitmaps and indexes');

-- a query as source: the same tags as from the table
SELECT portrait.build_tags('tg', $$SELECT * FROM tg_profile WHERE true$$, 'cust', '2026-11-04');
SELECT set_eq($$SELECT tag, value, members::bytea FROM portrait.tag_bitmap WHERE base = 'tg' AND snapshot = '2026-11-04'$$,
              $$SELECT tag, value, b FROM tg_serial WHERE value IS NOT NULL$$, 'a query as source builds the same bitmaps as its table');
DELETE FROM portrait.tag_bitmap WHERE base = 'tg' AND snapshot BETWEEN '2026-11-02' AND '2026-11-04';
DELETE FROM portrait.tag_numeric WHERE base = 'tg' AND snapshot BETWEEN '2026-11-02' AND '2026-11-04';
DELETE FROM portrait.tag_snapshot WHERE base = 'tg' AND snapshot BETWEEN '2026-11-02' AND '2026-11-04';

-- snapshots: the old one answers "who was", retention drops it; a refresh
-- with customers gone and new ones keeps every known id and numbers the new
-- keys from the next free id (no id reused)
CREATE TEMP TABLE tg_dict AS SELECT key, id FROM portrait.key_dictionary WHERE base = 'tg';
UPDATE tg_profile SET tier = 'tier0' WHERE tier = 'tier1';
DELETE FROM tg_profile WHERE cust IN (SELECT cust FROM tg_profile ORDER BY cust LIMIT 100);
INSERT INTO tg_profile (cust, tier, vip, spend) SELECT md5('new' || g)::uuid, 'tier2', true, g FROM generate_series(1, 300) g;
SELECT portrait.build_tags('tg', 'tg_profile', 'cust', '2026-11-08');
SELECT is_empty($$SELECT o.key FROM tg_dict o LEFT JOIN portrait.key_dictionary d ON d.base = 'tg' AND d.key = o.key
                  WHERE d.id IS DISTINCT FROM o.id$$, 'a refresh keeps the id of every known key, gone customers too');
SELECT results_eq($$SELECT count(*), min(d.id), max(d.id) FROM portrait.key_dictionary d WHERE d.base = 'tg' AND d.key NOT IN (SELECT key FROM tg_dict)$$,
                  $$VALUES (300::bigint, 20000::bigint, 20299::bigint)$$, 'the new keys get the next ids, none reused');
SELECT is((SELECT portrait.bitmap_cardinality(members) FROM portrait.tag_bitmap WHERE base = 'tg' AND tag = 'vip' AND snapshot = '2026-11-08'),
          (SELECT count(*) FROM tg_profile WHERE vip), 'the new customers are in the bitmaps of their values');
SELECT ok((SELECT members::bytea FROM portrait.tag_bitmap WHERE base = 'tg' AND tag = 'tier' AND value = 'tier1' AND snapshot = '2026-11-01')
          = (SELECT b FROM tg_serial WHERE tag = 'tier' AND value = 'tier1')
          AND NOT EXISTS (SELECT 1 FROM portrait.tag_bitmap WHERE base = 'tg' AND tag = 'tier' AND value = 'tier1' AND snapshot = '2026-11-08'),
          'the old snapshot keeps who was in tier1; the new one has none');
SELECT portrait.build_tags('tg', 'tg_profile', 'cust', '2026-11-08', keep_snapshots => 1);
SELECT is((SELECT array_agg(DISTINCT snapshot) FROM portrait.tag_bitmap WHERE base = 'tg'), ARRAY['2026-11-08'::date],
          'keep_snapshots => 1 keeps the newest snapshot only');

-- a low-privilege role: no tag data, no member list, no dictionary
CREATE ROLE tg_low NOLOGIN;
GRANT USAGE ON SCHEMA portrait TO tg_low;
SET LOCAL ROLE tg_low;
SELECT throws_ok($$SELECT count(*) FROM portrait.tag_bitmap$$, '42501', NULL, 'a role without privileges reads no tag bitmaps');
SELECT throws_ok($$SELECT count(*) FROM portrait.key_dictionary$$, '42501', NULL, 'nor the dictionary (the member keys)');
SELECT throws_ok($$SELECT portrait.build_tags('tg', 'tg_profile', 'cust')$$, '42501', NULL, 'nor can it build tags');
RESET ROLE;

SELECT throws_ok($$SELECT portrait.build_tags('tg', 'tg_profile', 'nope')$$, '42703', NULL, 'an unknown key column is 42703');
SELECT throws_ok($$SELECT portrait.build_tags('tg', NULL::text, 'cust')$$, '22004', NULL, 'a NULL source is 22004');
SELECT throws_ok($$SELECT portrait.build_tags('tg', 'SELECT cust FROM tg_profile', 'cust')$$, '22023', NULL,
                 'a source without a column of any tag is 22023');
SELECT throws_ok($$SELECT portrait.build_tags('tg', 'SELECT * FROM tg_profile; DELETE FROM tg_profile', 'cust')$$, '42601', NULL,
                 'a source of two statements is 42601, and runs neither');
SELECT throws_ok($$SELECT portrait.build_tags('tg', 'SELECT * FROM tg_profile UNION ALL (SELECT * FROM tg_profile LIMIT 1)', 'cust')$$,
                 '21000', NULL, 'a customer twice with a numeric value is 21000');

SELECT * FROM finish();
ROLLBACK;
