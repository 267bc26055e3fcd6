-- portrait.bsi: the values of a numeric tag per dense customer id, as a
-- bit-sliced index; range conditions are answered from bitmaps
SET search_path = portrait, public;

CREATE TEMP TABLE clv (id bigint, clv float8);
INSERT INTO clv VALUES (1, 120.5), (2, 2300), (3, 649.999), (4, -15.25), (5, NULL), (6, 0.005), (7, 1999.995);

-- values are kept at the scale given (2 decimals here), rounded half away
-- from zero as round(clv::numeric, 2) does; NULL values are left out
SELECT bsi_agg(id, clv, 2) AS idx FROM clv;
SELECT * FROM bsi_values((SELECT bsi_agg(id, clv, 2) FROM clv));

-- exact comparisons: the constant is not rounded to the scale
SELECT bsi_compare(b, '>=', 500) AS ge_500, bsi_compare(b, '<', 0) AS negative,
       bsi_compare(b, '=', 0.01) AS eq_001, bsi_compare(b, '=', 0.005) AS eq_0005,
       bsi_compare(b, '<>', 120.5) AS ne,
       bsi_between(b, 500, 2000) AS clv_500_2000
FROM (SELECT bsi_agg(id, clv, 2) AS b FROM clv) x;

-- counts, sums and means from intersections with another bitmap
SELECT bsi_count(b) AS n, bsi_sum(b) AS total, bsi_sum(b, '{2,3,7}') AS total_of_three,
       bsi_sum(b, '{2,3,7}') / bitmap_cardinality(bsi_ids(b) & '{2,3,7}') AS mean_of_three,
       bsi_value(b, 3) AS value_of_3, bsi_value(b, 5) AS value_of_5, bsi_scale(b) AS scale
FROM (SELECT bsi_agg(id, clv, 2) AS b FROM clv) x;

-- text form: {id:value,...}, the scale is the most decimals written
SELECT '{3:1.5, 1:-2.25}'::bsi AS idx, bsi_scale('{3:1.5, 1:-2.25}');

-- integer values, scale 0
SELECT bsi_agg(i, i * i, 0) AS squares FROM generate_series(1, 5) i;

-- errors
SELECT bsi_agg(id, 1, 0) FROM (VALUES (1), (1)) t(id);
SELECT bsi_agg(1, 1.0::float8, 13);
SELECT bsi_compare('{1:1}', '~', 1);
SELECT '{1:1,}'::bsi;
