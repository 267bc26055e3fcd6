-- Tag library: every built bitmap equals the plain-SQL set, a parallel build
-- equals a serial one, snapshots and retention, hostile tag and column
-- names, and a low-privilege role reads no tag data or member list.
BEGIN;
SELECT plan(12);

SELECT setseed(0.7);
CREATE TABLE tg_profile (cust uuid, "seg""; DROP TABLE x; --" text, tier text, vip boolean);
INSERT INTO tg_profile
SELECT md5('c' || g)::uuid, (ARRAY['A', 'B', 'C', NULL])[1 + (random() * 3.99)::int],
       'tier' || (random() * 4)::int, CASE WHEN random() < 0.1 THEN NULL ELSE random() < 0.3 END
FROM generate_series(1, 20000) g;
ANALYZE tg_profile;
INSERT INTO portrait.tag (name, value_type, source_column) VALUES
    ('x''); DELETE FROM portrait.tag; --', 'categorical', 'seg"; DROP TABLE x; --'),
    ('tier', 'categorical', 'tier'), ('vip', 'boolean', 'vip');

SELECT is(portrait.build_tags('tg', 'tg_profile', 'cust', '2026-11-01'),
          (SELECT count(DISTINCT "seg""; DROP TABLE x; --") + count(DISTINCT tier) + 1 FROM tg_profile),
          'one bitmap per non-NULL categorical value and one for the boolean tag (hostile names quoted)');
SELECT is((SELECT count(*) FROM portrait.tag), 3::bigint, 'the hostile tag name ran nothing');
SELECT is_empty($$
    SELECT t.tag, t.value FROM portrait.tag_bitmap t
    WHERE t.base = 'tg' AND NOT t.members OPERATOR(portrait.=) (
        SELECT portrait.bitmap_agg(d.id) FROM tg_profile p JOIN portrait.key_dictionary d ON d.base = 'tg' AND d.key = p.cust::text
        WHERE CASE t.tag WHEN 'tier' THEN p.tier = t.value WHEN 'vip' THEN p.vip
                         ELSE p."seg""; DROP TABLE x; --" = t.value END)$$,
    'every bitmap holds exactly the customers of its value');
SELECT is((SELECT count(*) FROM portrait.key_dictionary WHERE base = 'tg'), 20000::bigint, 'every customer has an id');

-- the build's aggregate in parallel workers = the stored (serial) bitmaps;
-- build_tags itself inserts, which PostgreSQL 15 runs serially
CREATE TEMP TABLE tg_serial AS SELECT tag, value, members::bytea AS b FROM portrait.tag_bitmap WHERE base = 'tg';
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT v.tag, v.value, portrait.bitmap_agg(d.id) FROM tg_profile p JOIN portrait.key_dictionary d ON d.base = 'tg' AND d.key = p.cust::text CROSS JOIN LATERAL (VALUES ('tier', p.tier), ('vip', CASE WHEN p.vip THEN 'true' END)) v(tag, value) WHERE v.value IS NOT NULL GROUP BY v.tag, v.value$$),
               'Partial', 'the build aggregate runs in parallel workers');
CREATE TEMP TABLE tg_par AS
SELECT v.tag, v.value, portrait.bitmap_agg(d.id)::bytea AS b FROM tg_profile p JOIN portrait.key_dictionary d ON d.base = 'tg' AND d.key = p.cust::text
CROSS JOIN LATERAL (VALUES ('tier', p.tier), ('vip', CASE WHEN p.vip THEN 'true' END)) v(tag, value) WHERE v.value IS NOT NULL GROUP BY v.tag, v.value;
CALL test_helpers.reset_parallel();
SELECT set_eq($$SELECT tag, value, b FROM tg_par$$,
              $$SELECT tag, value, b FROM tg_serial WHERE tag IN ('tier', 'vip')$$, 'parallel workers give byte-identical bitmaps');

-- snapshots: the old one answers "who was", retention drops it
UPDATE tg_profile SET tier = 'tier0' WHERE tier = 'tier1';
SELECT portrait.build_tags('tg', 'tg_profile', 'cust', '2026-11-08');
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

SELECT * FROM finish();
ROLLBACK;
