-- ab_test and welch_test: scipy.stats references to 1e-9 relative, errors,
-- parallel plans.
BEGIN;
SELECT plan(23);

CREATE FUNCTION pg_temp.rel(a float8, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT abs(a - b) / greatest(abs(b), 1e-300) $$;

-- conversion from counts: 60 cases (scipy.stats.norm, contingency.relative_risk)
SELECT is_empty($$
  SELECT case_id FROM (SELECT *, portrait.ab_test(ca, na, cb, nb, alpha) AS r FROM behaviour_ab_counts) t
   WHERE pg_temp.rel((r).rate_a, rate_a) > 1e-9 OR pg_temp.rel((r).rate_b, rate_b) > 1e-9
      OR pg_temp.rel((r).diff, diff) > 1e-9 OR pg_temp.rel((r).diff_low, diff_low) > 1e-9
      OR pg_temp.rel((r).diff_high, diff_high) > 1e-9 OR pg_temp.rel((r).lift, lift) > 1e-9
      OR pg_temp.rel((r).lift_low, lift_low) > 1e-9 OR pg_temp.rel((r).lift_high, lift_high) > 1e-9
      OR pg_temp.rel((r).z, z) > 1e-9 OR pg_temp.rel((r).p_value, p_value) > 1e-9
      OR (r).significant <> (p_value < alpha)$$,
  'ab_test(counts) equals scipy.stats to 1e-9 relative on 60 cases');

-- the aggregate over (variant, converted) rows equals the counts form (which has no labels)
SELECT is_empty($$
  SELECT c.case_id FROM behaviour_ab_counts c
   CROSS JOIN LATERAL (
     SELECT portrait.ab_test(v, conv, c.alpha) AS r
       FROM (SELECT 'A' AS v, g <= c.ca AS conv FROM generate_series(1, c.na) g
             UNION ALL
             SELECT 'B', g <= c.cb FROM generate_series(1, c.nb) g) rows) agg
   WHERE c.case_id < 12
     AND ((agg.r).rate_a, (agg.r).rate_b, (agg.r).diff, (agg.r).diff_low, (agg.r).diff_high, (agg.r).lift,
          (agg.r).lift_low, (agg.r).lift_high, (agg.r).z, (agg.r).p_value, (agg.r).significant)
         IS DISTINCT FROM (SELECT (x.rate_a, x.rate_b, x.diff, x.diff_low, x.diff_high, x.lift, x.lift_low,
                                   x.lift_high, x.z, x.p_value, x.significant)
                             FROM portrait.ab_test(c.ca, c.na, c.cb, c.nb, c.alpha) x)$$,
  'ab_test aggregate equals ab_test of the counts');

-- Welch: 40 data sets (scipy.stats.ttest_ind(equal_var=False))
CREATE TEMP TABLE welch_got AS
SELECT dataset, (portrait.welch_test(variant, value,
                 (SELECT alpha FROM behaviour_welch_expected x WHERE x.dataset = v.dataset))).*
  FROM behaviour_welch_values v GROUP BY dataset;
SELECT is((SELECT count(*) FROM welch_got), 40::bigint, 'welch_test gives one readout per data set');
SELECT is_empty($$
  SELECT dataset FROM welch_got g JOIN behaviour_welch_expected x USING (dataset)
   WHERE g.variant_a <> 'control' OR g.variant_b <> 'treatment' OR g.n_a <> x.n_a OR g.n_b <> x.n_b
      OR pg_temp.rel(g.mean_a, x.mean_a) > 1e-9 OR pg_temp.rel(g.mean_b, x.mean_b) > 1e-9
      OR pg_temp.rel(g.var_a, x.var_a) > 1e-9 OR pg_temp.rel(g.var_b, x.var_b) > 1e-9
      OR pg_temp.rel(g.diff, x.diff) > 1e-9 OR pg_temp.rel(g.diff_low, x.diff_low) > 1e-9
      OR pg_temp.rel(g.diff_high, x.diff_high) > 1e-9 OR pg_temp.rel(g.t, x.t) > 1e-9
      OR pg_temp.rel(g.df, x.df) > 1e-9 OR pg_temp.rel(g.p_value, x.p_value) > 1e-9
      OR g.significant <> (x.p_value < x.alpha)$$,
  'welch_test equals scipy.stats to 1e-9 relative on 40 data sets');

-- NULL rows are skipped
SELECT is((portrait.welch_test(v, x)).n_a, 2::bigint, 'rows with a NULL value or variant are skipped')
  FROM (VALUES ('a', 1.0), ('a', 2.0), ('a', NULL), (NULL, 5.0), ('b', 1.0), ('b', 4.0)) t(v, x);

-- errors
SELECT throws_ok($$SELECT portrait.ab_test(NULL, 10, 1, 10)$$, '22004', NULL, 'NULL count is refused');
SELECT throws_ok($$SELECT portrait.ab_test(11, 10, 1, 10)$$, '22023', NULL, 'conversions above n are refused');
SELECT throws_ok($$SELECT portrait.ab_test(0, 0, 1, 10)$$, '22023', NULL, 'empty variant is refused');
SELECT throws_ok($$SELECT portrait.ab_test(1, 10, 1, 10, 1.5)$$, '22023', NULL, 'alpha outside (0, 1) is refused');
SELECT throws_ok($$SELECT portrait.ab_test(v, true) FROM (VALUES ('a'), ('a')) t(v)$$, '22000',
                 'an A/B test needs rows of two variants, found 1', 'one variant only is refused');
SELECT throws_ok($$SELECT portrait.ab_test(v, true) FROM (VALUES ('a'), ('b'), ('c')) t(v)$$, '22023',
                 'an A/B test compares two variants, found a third: "c"', 'a third variant is refused');
SELECT throws_ok($$SELECT portrait.welch_test(v, x) FROM (VALUES ('a', 1.0), ('a', 2.0), ('b', 3.0)) t(v, x)$$, '22000',
                 'variant "b" has 1 rows, at least 2 are needed', 'a variant with one value is refused');
SELECT throws_ok($$SELECT portrait.welch_test(v, 1.0) FROM (VALUES ('a'), ('a'), ('b'), ('b')) t(v)$$, '22000',
                 'welch_test needs some variation in the values', 'constant values are refused');
SELECT throws_ok($$SELECT portrait.welch_test('a', 'NaN'::float8)$$, '22000', NULL, 'NaN value is refused');
SELECT throws_ok($$SELECT portrait.welch_test(v, 1.0, a) FROM (VALUES ('a', 0.05), ('b', 0.1)) t(v, a)$$, '22023', NULL,
                 'alpha changing within a group is refused');
SELECT throws_ok($$SELECT '0.05;3;1:a;1;0;0;0'::portrait.ab_state$$, '22P02', NULL, 'ab_state text input is checked');
SELECT is('0.05;2;1:a;3;1;0.3333333333333333;0.6666666666666666;1:b;2;2;1;0'::portrait.ab_state::text,
          '0.05;2;1:a;3;1;0.3333333333333333;0.6666666666666666;1:b;2;2;1;0', 'ab_state text round trip');

-- order independence and parallel plans (Chan merge)
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.welch_test(variant, value) FROM behaviour_welch_values$$),
               'Partial Aggregate', 'welch_test runs as a partial aggregate');
CREATE TEMP TABLE par AS
SELECT (portrait.welch_test(variant, value)).*, (portrait.ab_test(variant, value > 20)).p_value AS ab_p
  FROM behaviour_welch_values;
CALL test_helpers.force_serial();
CREATE TEMP TABLE ser AS
SELECT (portrait.welch_test(variant, value)).*, (portrait.ab_test(variant, value > 20)).p_value AS ab_p
  FROM behaviour_welch_values;
CREATE TEMP TABLE rev AS
SELECT (portrait.welch_test(variant, value)).*, (portrait.ab_test(variant, value > 20)).p_value AS ab_p
  FROM (SELECT * FROM behaviour_welch_values ORDER BY value DESC) s;
SELECT ok((SELECT pg_temp.rel(p.t, s.t) < 1e-9 AND pg_temp.rel(p.p_value, s.p_value) < 1e-9
              AND pg_temp.rel(p.var_a, s.var_a) < 1e-9 AND pg_temp.rel(p.diff_low, s.diff_low) < 1e-9
              AND p.n_a = s.n_a AND p.ab_p = s.ab_p FROM par p, ser s),
          'parallel and serial welch_test and ab_test agree to 1e-9 relative');
SELECT ok((SELECT pg_temp.rel(r.t, s.t) < 1e-9 AND pg_temp.rel(r.var_b, s.var_b) < 1e-9 FROM rev r, ser s),
          'welch_test does not depend on row order beyond 1e-9 relative');
SELECT ok((SELECT pg_temp.rel(r.mean_a, s.mean_a) < 1e-12 FROM rev r, ser s), 'means agree closely');
SELECT is((SELECT (r).variant_a || ' ' || (r).variant_b FROM
             (SELECT portrait.ab_test(v, c) AS r FROM (VALUES ('treatment', true), ('control', false), ('control', true)) t(v, c)) x),
          'control treatment', 'ab_test names the variants (A sorts first)');
SELECT is((SELECT (portrait.ab_test(1, 10, 2, 10)).variant_a), NULL, 'ab_test from counts has no labels');
SELECT * FROM finish();
ROLLBACK;
