-- Tags and audiences on bitmaps, from the RFM portrait of test/demo/portrait.sql
-- (run after it in the same session: it reads the temp table scored).

CREATE TEMP TABLE tag_profile AS
SELECT s.customer_id, s.segment, c.city_tier, c.channel, c.age_band, s.frequency >= 5 AS frequent
FROM scored s JOIN demo.customers c USING (customer_id);

INSERT INTO portrait.tag (name, category, value_type, description, source_column) VALUES
    ('segment', '{value,RFM}', 'categorical', 'RFM segment (standard map)', 'segment'),
    ('city_tier', '{demographics}', 'categorical', 'City tier of the address', 'city_tier'),
    ('channel', '{channel}', 'categorical', 'Acquisition channel', 'channel'),
    ('age_band', '{demographics}', 'categorical', 'Age band', 'age_band'),
    ('frequent', '{behaviour}', 'boolean', 'Five orders or more', 'frequent');

\echo
\echo '== Tag bitmaps of the demo profile (one pass), by tag'
SELECT portrait.build_tags('demo', 'tag_profile', 'customer_id', '2026-11-01') AS bitmaps_written;
SELECT tag, count(*) AS values, sum(portrait.bitmap_cardinality(members)) AS memberships,
       sum(length(members::bytea)) AS bytes
FROM portrait.tag_bitmap WHERE base = 'demo' GROUP BY tag ORDER BY tag;

CREATE TEMP TABLE tb AS
SELECT tag || '=' || value AS tv, members FROM portrait.tag_bitmap WHERE base = 'demo' AND snapshot = '2026-11-01';

\echo
\echo '== Three audiences, counted from bitmaps'
SELECT 'Champions or Loyal Customers in tier1/tier2 cities' AS audience,
       portrait.bitmap_cardinality(
         ((SELECT members FROM tb WHERE tv = 'segment=Champions') OPERATOR(portrait.|) (SELECT members FROM tb WHERE tv = 'segment=Loyal Customers'))
         OPERATOR(portrait.&)
         ((SELECT members FROM tb WHERE tv = 'city_tier=tier1') OPERATOR(portrait.|) (SELECT members FROM tb WHERE tv = 'city_tier=tier2'))) AS customers
UNION ALL
SELECT 'At Risk, frequent buyers',
       portrait.bitmap_cardinality((SELECT members FROM tb WHERE tv = 'segment=At Risk') OPERATOR(portrait.&) (SELECT members FROM tb WHERE tv = 'frequent=true'))
UNION ALL
SELECT 'Frequent buyers who do not use the app',
       portrait.bitmap_cardinality((SELECT members FROM tb WHERE tv = 'frequent=true')
                                   OPERATOR(portrait.-) (SELECT members FROM tb WHERE tv = 'channel=app'));

\echo
\echo '== Who are the Champions or Loyal Customers in tier1/tier2 cities? Profile against all (TGI of portrait.tgi)'
CREATE TEMP TABLE audience AS
SELECT ((SELECT members FROM tb WHERE tv = 'segment=Champions') OPERATOR(portrait.|) (SELECT members FROM tb WHERE tv = 'segment=Loyal Customers'))
       OPERATOR(portrait.&)
       ((SELECT members FROM tb WHERE tv = 'city_tier=tier1') OPERATOR(portrait.|) (SELECT members FROM tb WHERE tv = 'city_tier=tier2')) AS members;
SELECT attribute, value, group_count AS members, round(tgi::numeric, 0) AS tgi
FROM (SELECT portrait.tgi(portrait.bitmap_contains(a.members, d.id),
                          jsonb_build_object('channel', p.channel, 'age_band', p.age_band)) AS pr
      FROM tag_profile p
      JOIN portrait.key_dictionary d ON d.base = 'demo' AND d.key = p.customer_id::text, audience a) t,
     portrait.tgi_table(pr, min_count => 30)
ORDER BY attribute, tgi DESC;
