-- Audiences: tag conditions combined with AND / OR / NOT, counted and listed
-- from the tag bitmaps, saved, compared between snapshots and profiled.

-- twelve customers of a shop on 1 November, and the week after
CREATE TABLE shop_profile (customer_id bigint, segment text, city_tier text, vip boolean);
INSERT INTO shop_profile VALUES
    (101, 'Champions', 'tier1', true),   (102, 'Champions', 'tier2', false),
    (103, 'Loyal', 'tier1', true),       (104, 'Loyal', 'tier3', NULL),
    (105, 'At Risk', 'tier1', false),    (106, 'At Risk', 'tier2', true),
    (107, 'Hibernating', 'tier3', false),(108, 'Hibernating', NULL, false),
    (109, 'Loyal', 'tier2', false),      (110, NULL, 'tier1', true),
    (111, 'Champions', 'tier3', true),   (112, 'At Risk', 'tier3', false);
INSERT INTO portrait.tag (name, category, value_type, description, source_column) VALUES
    ('segment', '{value,RFM}', 'categorical', 'RFM segment', 'segment'),
    ('city_tier', '{demographics}', 'categorical', 'City tier', 'city_tier'),
    ('vip', '{value}', 'boolean', 'VIP member', 'vip'),
    ('会员等级', '{value}', 'categorical', 'Membership level (a Chinese tag name)', 'segment');
SELECT portrait.build_tags('webshop', 'shop_profile', 'customer_id', '2026-11-01');
UPDATE shop_profile SET segment = 'At Risk' WHERE customer_id IN (101, 103);
UPDATE shop_profile SET segment = 'Champions' WHERE customer_id = 109;
INSERT INTO shop_profile VALUES (113, 'Champions', 'tier1', true);
SELECT portrait.build_tags('webshop', 'shop_profile', 'customer_id', '2026-11-08');
-- a numeric tag, predicted lifetime value: its bit-sliced index at 2 decimals
-- (from a table of its own; customer 108 has no value)
INSERT INTO portrait.tag (name, category, value_type, scale, description, source_column) VALUES
    ('clv', '{value}', 'numeric', 2, 'Predicted lifetime value', 'clv');
CREATE TABLE shop_clv AS
SELECT customer_id, (customer_id - 100) * 150.5 AS clv FROM shop_profile WHERE customer_id <> 108;
INSERT INTO portrait.tag_numeric (base, tag, snapshot, members)
SELECT 'webshop', 'clv', '2026-11-08', portrait.bsi_agg(d.id, c.clv, 2)
FROM shop_clv c JOIN portrait.key_dictionary d ON d.base = 'webshop' AND d.key = c.customer_id::text;

-- counts (the latest snapshot unless AS OF says otherwise)
SELECT expr, portrait.audience_count('webshop', expr) AS customers
FROM (VALUES ($$segment = 'Champions'$$),
             ($$segment IN ('Champions', 'Loyal') AND city_tier IN ('tier1', 'tier2')$$),
             ($$segment in ('Champions', 'Loyal') and city_tier in ('tier1', 'tier2') as of '2026-11-01'$$),
             ($$vip AND NOT segment = 'Champions'$$),
             ($$vip = false$$),
             ($$NOT vip$$),
             ($$segment <> 'Champions'$$),
             ($$NOT segment = 'Champions'$$),
             ($$segment NOT IN ('Champions', 'Loyal')$$),
             ($$has(segment)$$),
             ($$has(vip) OR city_tier = 'tier3'$$),
             ($$"会员等级" = 'Loyal' OR 会员等级 = 'Champions'$$),
             ($$clv >= 1000$$),
             ($$clv > 1053.49$$),
             ($$clv BETWEEN 500 AND 1505$$),
             ($$clv NOT BETWEEN 500 AND 1505$$),
             ($$clv <> 150.5$$),
             ($$clv IN (150.5, 301, 301.001)$$),
             ($$NOT has(clv)$$),
             ($$vip AND clv > 600$$)) AS e(expr);

-- the members: customer keys, in id order
SELECT * FROM portrait.audience_members('webshop', $$segment = 'Champions' AND vip$$);
SELECT portrait.audience('webshop', $$segment = 'At Risk'$$, '2026-11-01');

-- overlap of three audiences: each Venn region once
SELECT * FROM portrait.audience_overlap('webshop', ARRAY['vip', $$segment = 'Champions'$$, $$city_tier = 'tier1'$$]);

-- a saved audience and who entered, left and stayed in it
SELECT portrait.audience_save('champions', 'webshop', $$segment = 'Champions'$$, description => 'the best customers');
SELECT name, base, expression, snapshot, description FROM portrait.audience;
SELECT change, customers FROM portrait.audience_diff('champions', '2026-11-01', '2026-11-08');
SELECT * FROM portrait.audience_diff_members('champions', '2026-11-01', '2026-11-08');

-- the profile of the VIPs against everyone, on every tag value
SELECT tag, value, audience_count, round(audience_share::numeric, 3) AS share,
       population_count, round(population_share::numeric, 3) AS pop_share,
       round(tgi::numeric, 1) AS tgi, round(z::numeric, 2) AS z
FROM portrait.audience_profile('webshop', 'vip') WHERE tag <> '会员等级' AND value IS NOT NULL;
-- numeric tags: how many have a value, and the mean in the audience and in all
SELECT tag, audience_count, population_count, audience_mean, population_mean
FROM portrait.audience_profile('webshop', 'vip') WHERE value IS NULL;

-- errors
SELECT portrait.audience_count('webshop', $$segment = 'Champions' AND (vip$$);
SELECT portrait.audience_count('webshop', $$segment = 'Champions' OR OR vip$$);
SELECT portrait.audience_count('webshop', $$segmnt = 'Champions'$$);
SELECT portrait.audience_count('webshop', $$segment = 'Champion'$$);
SELECT portrait.audience_count('webshop', $$segment >= 'Champions'$$);
SELECT portrait.audience_count('webshop', $$vip = 'yes'$$);
SELECT portrait.audience_count('webshop', $$city_tier = 1$$);
SELECT portrait.audience_count('webshop', $$clv = 'high'$$);
SELECT portrait.audience_count('webshop', $$clv$$);
SELECT portrait.audience_count('webshop', $$vip AS OF '2026-10-01'$$);
SELECT portrait.audience_count('webshop', repeat('(', 10000) || 'vip' || repeat(')', 10000));
SELECT portrait.audience_count('webshop', '');
SELECT portrait.audience_count(NULL, 'vip');

DELETE FROM portrait.audience WHERE base = 'webshop';
DELETE FROM portrait.tag_numeric WHERE base = 'webshop';
DELETE FROM portrait.tag_bitmap WHERE base = 'webshop';
DELETE FROM portrait.tag_snapshot WHERE base = 'webshop';
DELETE FROM portrait.key_dictionary WHERE base = 'webshop';
DELETE FROM portrait.key_dictionary_base WHERE base = 'webshop';
DELETE FROM portrait.tag WHERE name IN ('segment', 'city_tier', 'vip', '会员等级', 'clv');
DROP TABLE shop_profile, shop_clv;
