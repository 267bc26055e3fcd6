-- Who are the segments?  TGI profiles of the RFM segments of test/demo/portrait.sql
-- (run after it in the same session: it reads the temp table scored).

CREATE TEMP TABLE customer_attrs AS
SELECT s.customer_id, s.segment,
       jsonb_build_object('region', c.region, 'city_tier', c.city_tier, 'age_band', c.age_band,
                          'gender', c.gender, 'channel', c.channel,
                          'recency_days', s.recency_days, 'frequency', s.frequency,
                          'monetary', round(s.monetary::numeric, 2)) AS attrs
FROM scored s JOIN demo.customers c USING (customer_id);

-- one pass: the Champions against every scored customer
CREATE TEMP TABLE champions AS
SELECT portrait.tgi(segment = 'Champions', attrs) AS p FROM customer_attrs;

\echo
\echo '== Who are the Champions? Profile against all scored customers'
\echo '   (TGI = share among Champions / share among all x 100, tgi_95 its 95% interval; z: two-proportion z-score;'
\echo '    effect: Cohen''s h of a value, Cohen''s d of a number; values with fewer than 30 Champions left out)'
SELECT portrait.profile_label(p) AS champions_label FROM champions;
SELECT attribute, coalesce(value, '(mean)') AS value, group_count AS champions,
       round((100 * group_share)::numeric, 1) AS champ_pct, round((100 * population_share)::numeric, 1) AS all_pct,
       round(tgi::numeric, 0) AS tgi, round(tgi_low::numeric, 0) || '-' || round(tgi_high::numeric, 0) AS tgi_95,
       round(z::numeric, 1) AS z, round(effect_size::numeric, 2) AS effect,
       round(group_mean::numeric, 1) AS champ_mean, round(population_mean::numeric, 1) AS all_mean
FROM champions, portrait.tgi_table(p, min_count => 30)
ORDER BY attribute, tgi DESC NULLS FIRST;

\echo
\echo '== Every segment in one statement: GROUP BY segment, population = profile_merge of the segments'
WITH s AS (SELECT segment, count(*) AS customers, portrait.profile_agg(attrs) AS p
           FROM customer_attrs GROUP BY segment)
SELECT s.segment, s.customers, portrait.profile_label(s.p, (SELECT portrait.profile_merge(p) FROM s)) AS label
FROM s ORDER BY s.customers DESC;
