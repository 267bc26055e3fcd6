-- the tag library: tags defined once, built from a profile table in one pass
SET search_path = portrait, public;

CREATE TABLE shop_profile (customer_id bigint, segment text, city_tier text, is_member boolean, spend numeric);
INSERT INTO shop_profile VALUES
    (101, 'Champions', 'tier1', true, 1250.5), (102, 'Loyal', 'tier2', false, 310), (103, 'Champions', 'tier2', NULL, 2200.125),
    (104, 'At Risk', NULL, true, NULL), (105, 'Loyal', 'tier1', true, 95.99);

INSERT INTO tag (name, category, value_type, description, source_column) VALUES
    ('segment', '{value,RFM}', 'categorical', 'RFM segment', 'segment'),
    ('city_tier', '{demographics}', 'categorical', 'City tier of the address', 'city_tier'),
    ('member', '{loyalty}', 'boolean', 'Member of the loyalty programme', 'is_member'),
    ('spend', '{value}', 'numeric', 'Total spend (2 decimals)', 'spend'),
    ('clv', '{value}', 'numeric', 'Predicted lifetime value', 'clv');   -- no such column: not built

-- one pass: a bitmap per value of segment, city_tier and member, and the index of spend
SELECT build_tags('shop', 'shop_profile', 'customer_id', '2026-11-01');
SELECT tag, value, members, bitmap_cardinality(members) AS n
FROM tag_bitmap WHERE base = 'shop' ORDER BY tag, value;
-- the numeric tag: a bit-sliced index of the values rounded to the tag's scale
SELECT tag, d.key, v.value
FROM tag_numeric n, bsi_values(n.members) v JOIN key_dictionary d ON d.base = 'shop' AND d.id = v.id
WHERE n.base = 'shop' ORDER BY d.key;
SELECT members FROM tag_snapshot WHERE base = 'shop';

-- a later snapshot: one customer moved; with keep_snapshots => 1 only it is kept
UPDATE shop_profile SET segment = 'Champions' WHERE customer_id = 102;
INSERT INTO shop_profile VALUES (106, 'New', 'tier3', false);
SELECT build_tags('shop', 'shop_profile', 'customer_id', '2026-11-08');
SELECT snapshot, members FROM tag_bitmap WHERE base = 'shop' AND tag = 'segment' AND value = 'Champions' ORDER BY snapshot;
SELECT build_tags('shop', 'shop_profile', 'customer_id', '2026-11-08', keep_snapshots => 1);
SELECT DISTINCT snapshot FROM tag_bitmap WHERE base = 'shop';

-- who is a Champion and a member, as customer keys
SELECT d.key FROM tag_bitmap s, tag_bitmap m,
     bitmap_unnest(s.members & m.members) AS u(id)
     JOIN key_dictionary d ON d.base = 'shop' AND d.id = u.id
WHERE s.base = 'shop' AND s.tag = 'segment' AND s.value = 'Champions' AND m.base = 'shop' AND m.tag = 'member'
ORDER BY d.key;

-- the source may be a query: its columns named as the tags' source columns
SELECT build_tags('shop', $$SELECT customer_id, segment, spend * 2 AS spend FROM shop_profile WHERE customer_id > 103$$,
                  'customer_id', '2026-11-15');
SELECT tag, value, members FROM tag_bitmap WHERE base = 'shop' AND snapshot = '2026-11-15' ORDER BY tag, value;
SELECT bsi_values(members) FROM tag_numeric WHERE base = 'shop' AND snapshot = '2026-11-15';

-- errors
SELECT build_tags('shop', 'shop_profile', 'customer_id', NULL);
SELECT build_tags('shop', 'shop_profile'::regclass, NULL, '2026-11-08');
SELECT build_tags('shop', 'shop_profile', 'customer_id', '2026-11-08', 0);
SELECT build_tags('shop', 'shop_profile', 'nope', '2026-11-08');
SELECT build_tags('shop', 'SELECT customer_id FROM shop_profile', 'customer_id', '2026-11-08');
SELECT build_tags('shop', 'SELECT customer_id,, segment FROM shop_profile', 'customer_id', '2026-11-08');
SELECT build_tags('shop', 'SELECT 1; SELECT 2', 'customer_id', '2026-11-08');
DELETE FROM tag_bitmap; DELETE FROM tag_numeric; DELETE FROM tag_snapshot; DELETE FROM tag;
DELETE FROM key_dictionary; DELETE FROM key_dictionary_base;
DROP TABLE shop_profile;
