-- Tags and audiences on bitmaps, from the RFM portrait of test/demo/portrait.sql
-- (run after it in the same session: it reads the temp table scored): the
-- tags of the demo profile, three audiences written in the audience
-- expression language, their overlap, and one audience's profile.

CREATE TEMP TABLE tag_profile AS
SELECT s.customer_id, s.segment, c.city_tier, c.channel, c.age_band, s.frequency >= 5 AS frequent, s.monetary
FROM scored s JOIN demo.customers c USING (customer_id);

INSERT INTO portrait.tag (name, category, value_type, description, source_column) VALUES
    ('segment', '{value,RFM}', 'categorical', 'RFM segment (standard map)', 'segment'),
    ('city_tier', '{demographics}', 'categorical', 'City tier of the address', 'city_tier'),
    ('channel', '{channel}', 'categorical', 'Acquisition channel', 'channel'),
    ('age_band', '{demographics}', 'categorical', 'Age band', 'age_band'),
    ('frequent', '{behaviour}', 'boolean', 'Five orders or more', 'frequent'),
    ('monetary', '{value,RFM}', 'numeric', 'Total spend', 'monetary');

\echo
\echo '== Tag bitmaps and numeric indexes of the demo profile (one pass), by tag'
SELECT portrait.build_tags('demo', 'tag_profile', 'customer_id', '2026-11-01') AS bitmaps_written;
SELECT tag, count(*) AS values, sum(portrait.bitmap_cardinality(members)) AS memberships,
       sum(length(members::bytea)) AS bytes
FROM portrait.tag_bitmap WHERE base = 'demo' GROUP BY tag ORDER BY tag;
-- the numeric tag, in the same pass: a bit-sliced index of the spend at 2 decimals
SELECT tag, portrait.bsi_count(members) AS customers, portrait.bsi_sum(members) AS total,
       length(members::bytea) AS bytes
FROM portrait.tag_numeric WHERE base = 'demo' ORDER BY tag;

\echo
\echo '== Three audiences a marketer asks for, counted from the bitmaps (portrait.audience_count)'
CREATE TEMP TABLE demo_audiences (n int, audience text, expression text);
INSERT INTO demo_audiences VALUES
    (1, 'Champions or Loyal Customers in tier1/tier2 cities',
     $$segment IN ('Champions', 'Loyal Customers') AND city_tier IN ('tier1', 'tier2')$$),
    (2, 'At Risk, frequent buyers who spent 300 or more', $$segment = 'At Risk' AND frequent AND monetary >= 300$$),
    (3, 'Frequent buyers who do not use the app', $$frequent AND NOT channel = 'app'$$);
SELECT n, audience, expression, portrait.audience_count('demo', expression) AS customers FROM demo_audiences ORDER BY n;

\echo
\echo '== How the three overlap: customers in exactly these audiences (Venn regions, portrait.audience_overlap)'
SELECT o.audiences, o.customers
FROM portrait.audience_overlap('demo', (SELECT array_agg(expression ORDER BY n) FROM demo_audiences)) o;

\echo
\echo '== Who are the Champions or Loyal Customers in tier1/tier2 cities? Profile against all (portrait.audience_profile)'
SELECT tag, value, audience_count AS members, round(audience_share::numeric * 100, 1) AS "share %",
       round(population_share::numeric * 100, 1) AS "all %", round(tgi::numeric, 0) AS tgi, round(z::numeric, 1) AS z
FROM portrait.audience_profile('demo', $$segment IN ('Champions', 'Loyal Customers') AND city_tier IN ('tier1', 'tier2')$$)
WHERE tag IN ('channel', 'age_band', 'frequent') AND audience_count >= 30
ORDER BY tag, tgi DESC;
SELECT tag, audience_count AS with_value, round(audience_mean::numeric, 0) AS mean, round(population_mean::numeric, 0) AS "mean of all"
FROM portrait.audience_profile('demo', $$segment IN ('Champions', 'Loyal Customers') AND city_tier IN ('tier1', 'tier2')$$)
WHERE value IS NULL;

\echo
\echo '== The first ten member keys, as COPY would send them to a campaign tool (portrait.audience_members)'
SELECT * FROM portrait.audience_members('demo', $$segment = 'At Risk' AND frequent$$) LIMIT 10;
