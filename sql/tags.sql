-- the tag library: tags defined once, built from a profile table in one pass
SET search_path = portrait, public;

CREATE TABLE shop_profile (customer_id bigint, segment text, city_tier text, is_member boolean);
INSERT INTO shop_profile VALUES
    (101, 'Champions', 'tier1', true), (102, 'Loyal', 'tier2', false), (103, 'Champions', 'tier2', NULL),
    (104, 'At Risk', NULL, true), (105, 'Loyal', 'tier1', true);

INSERT INTO tag (name, category, value_type, description, source_column) VALUES
    ('segment', '{value,RFM}', 'categorical', 'RFM segment', 'segment'),
    ('city_tier', '{demographics}', 'categorical', 'City tier of the address', 'city_tier'),
    ('member', '{loyalty}', 'boolean', 'Member of the loyalty programme', 'is_member'),
    ('clv', '{value}', 'numeric', 'Predicted lifetime value', 'clv');   -- no such column: not built

SELECT build_tags('shop', 'shop_profile', 'customer_id', '2026-11-01');
SELECT tag, value, members, bitmap_cardinality(members) AS n
FROM tag_bitmap WHERE base = 'shop' ORDER BY tag, value;

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

-- errors
SELECT build_tags('shop', 'shop_profile', 'customer_id', NULL);
SELECT build_tags('shop', 'shop_profile', 'customer_id', '2026-11-08', 0);
DELETE FROM tag_bitmap; DELETE FROM tag; DELETE FROM key_dictionary; DELETE FROM key_dictionary_base;
DROP TABLE shop_profile;
