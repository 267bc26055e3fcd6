-- welch_test and tgi merge partial states (Chan et al.'s update of means and
-- sums of squared deviations), so the last digits of their floating-point
-- results depend on how the rows were split and in which order the pieces
-- were merged: PostgreSQL's parallel workers, or Citus's workers, whose
-- states reach the coordinator as text.  README states the tolerance; this
-- suite splits one input in many ways, sends every partial state through its
-- text form, merges the pieces in several orders, and holds each result to it:
-- counts (and TGI's shares, ratios of counts) exact, means and variances
-- within 1e-12 relative, the statistics derived from them (t, df, p-values,
-- interval bounds, TGI's z and effect sizes) within 1e-9 relative.
BEGIN;
SELECT plan(6);

CREATE FUNCTION pg_temp.rel(a float8, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN a = b THEN 0 ELSE abs(a - b) / greatest(abs(a), abs(b)) END $$;

-- the partial state of welch_test, and its merge with the readout
CREATE AGGREGATE pg_temp.welch_partial(text, float8) (
    SFUNC = portrait.ab_welch_trans, STYPE = portrait.ab_state);
CREATE AGGREGATE pg_temp.welch_merge(portrait.ab_state) (
    SFUNC = portrait.ab_combine, STYPE = portrait.ab_state, FINALFUNC = portrait.welch_test_final);

-- the first data sets x splits into 1..64 pieces (by row number or by value) x 3
-- merge orders
CREATE TEMP TABLE welch_rows AS
SELECT dataset, variant, value, row_number() OVER (PARTITION BY dataset ORDER BY value, variant) AS rn
  FROM behaviour_welch_values WHERE dataset <= 5;
CREATE TEMP TABLE welch_serial AS
SELECT dataset, (portrait.welch_test(variant, value)).* FROM welch_rows GROUP BY dataset;
CREATE TEMP TABLE welch_split AS
WITH pieces AS (
    SELECT dataset, k, how, CASE how WHEN 'rows' THEN rn % k ELSE floor(value * 7919)::bigint % k END AS piece,
           pg_temp.welch_partial(variant, value)::text::portrait.ab_state AS st
      FROM welch_rows, (VALUES (1), (2), (3), (7), (16), (64)) s(k), (VALUES ('rows'), ('values')) h(how)
     GROUP BY 1, 2, 3, 4)
SELECT dataset, k, how, o AS merge_order,
       (CASE o WHEN 'ascending' THEN pg_temp.welch_merge(st ORDER BY piece)
               WHEN 'descending' THEN pg_temp.welch_merge(st ORDER BY piece DESC)
               ELSE pg_temp.welch_merge(st ORDER BY md5(piece::text)) END).*
  FROM pieces, (VALUES ('ascending'), ('descending'), ('shuffled')) m(o)
 GROUP BY 1, 2, 3, 4;

SELECT is((SELECT count(*)::int FROM welch_split), (SELECT count(*)::int FROM welch_serial) * 6 * 2 * 3,
          'welch_test: 36 ways of splitting and merging each data set');
SELECT is_empty($$
    SELECT p.dataset, p.k, p.how, p.merge_order FROM welch_split p JOIN welch_serial s USING (dataset)
     WHERE p.n_a <> s.n_a OR p.n_b <> s.n_b
        OR pg_temp.rel(p.mean_a, s.mean_a) > 1e-12 OR pg_temp.rel(p.mean_b, s.mean_b) > 1e-12
        OR pg_temp.rel(p.var_a, s.var_a) > 1e-12 OR pg_temp.rel(p.var_b, s.var_b) > 1e-12$$,
    'welch_test: counts exact, means and variances within 1e-12 relative of the serial plan however merged');
SELECT is_empty($$
    SELECT p.dataset, p.k, p.how, p.merge_order FROM welch_split p JOIN welch_serial s USING (dataset)
     WHERE pg_temp.rel(p.diff, s.diff) > 1e-9 OR pg_temp.rel(p.t, s.t) > 1e-9 OR pg_temp.rel(p.df, s.df) > 1e-9
        OR pg_temp.rel(p.p_value, s.p_value) > 1e-9 OR pg_temp.rel(p.diff_low, s.diff_low) > 1e-9
        OR pg_temp.rel(p.diff_high, s.diff_high) > 1e-9 OR p.significant <> s.significant$$,
    'welch_test: t, df, p-value and interval within 1e-9 relative however merged');

-- tgi: profiles of pieces, through text, summed with profile_merge
CREATE TEMP TABLE tgi_rows AS
SELECT g, g % 5 = 0 AS in_group,
       jsonb_build_object('spend', 110 + sin(g) * 40 + (g % 5 = 0)::int * 9, 'visits', (g * 7919) % 13,
                          'city', 'c' || (g * 104729) % 6) AS attrs
  FROM generate_series(1, 20000) g;
CREATE TEMP TABLE tgi_serial AS
SELECT t.* FROM (SELECT portrait.tgi(in_group, attrs) AS p FROM tgi_rows) x, portrait.tgi_table(x.p) t;
CREATE TEMP TABLE tgi_split AS
WITH pieces AS (
    SELECT k, g % k AS piece, portrait.tgi(in_group, attrs)::text::portrait.profile AS p
      FROM tgi_rows, (VALUES (2), (3), (7), (16), (64)) s(k) GROUP BY 1, 2),
merged AS (
    SELECT k, o, CASE o WHEN 'ascending' THEN portrait.profile_merge(p ORDER BY piece)
                        WHEN 'descending' THEN portrait.profile_merge(p ORDER BY piece DESC)
                        ELSE portrait.profile_merge(p ORDER BY md5(piece::text)) END AS p
      FROM pieces, (VALUES ('ascending'), ('descending'), ('shuffled')) m(o) GROUP BY 1, 2)
SELECT k, o, t.* FROM merged, portrait.tgi_table(merged.p) t;

SELECT is((SELECT count(*)::int FROM tgi_split), 15 * (SELECT count(*)::int FROM tgi_serial),
          'tgi: 15 ways of splitting and merging, every row of the serial table in each');
SELECT is_empty($$
    SELECT p.k, p.o, p.attribute, p.value FROM tgi_split p
      JOIN tgi_serial s ON s.attribute = p.attribute AND s.value IS NOT DISTINCT FROM p.value
     WHERE p.group_count <> s.group_count OR p.population_count <> s.population_count
        OR p.group_share IS DISTINCT FROM s.group_share OR p.population_share IS DISTINCT FROM s.population_share
        OR p.tgi IS DISTINCT FROM s.tgi OR p.tgi_low IS DISTINCT FROM s.tgi_low OR p.tgi_high IS DISTINCT FROM s.tgi_high
        OR pg_temp.rel(p.group_mean, s.group_mean) > 1e-12 OR pg_temp.rel(p.population_mean, s.population_mean) > 1e-12$$,
    'tgi: counts, shares and TGI with its interval exact, means within 1e-12 relative however merged');
SELECT is_empty($$
    SELECT p.k, p.o, p.attribute, p.value FROM tgi_split p
      JOIN tgi_serial s ON s.attribute = p.attribute AND s.value IS NOT DISTINCT FROM p.value
     WHERE pg_temp.rel(p.z, s.z) > 1e-9 OR pg_temp.rel(p.effect_size, s.effect_size) > 1e-9$$,
    'tgi: z and effect size within 1e-9 relative however merged');

SELECT * FROM finish();
ROLLBACK;
