-- A/B readouts.  Conversion from counts: control A converted 100 of 1000,
-- variant B 130 of 1000.  diff is rate_b - rate_a with its Wald interval,
-- lift is rate_b / rate_a - 1 with the Katz log interval, z the pooled
-- two-proportion statistic, p_value two-sided.
SELECT rate_a, rate_b, round(diff::numeric, 12) AS diff,
       round(diff_low::numeric, 12) AS diff_low, round(diff_high::numeric, 12) AS diff_high,
       round(lift::numeric, 12) AS lift, round(lift_low::numeric, 12) AS lift_low,
       round(lift_high::numeric, 12) AS lift_high, round(z::numeric, 12) AS z,
       round(p_value::numeric, 12) AS p_value, significant
  FROM portrait.ab_test(100, 1000, 130, 1000);
-- A stricter alpha widens the intervals; the same data is no longer significant.
SELECT round(diff_low::numeric, 6) AS diff_low, round(lift_low::numeric, 6) AS lift_low, significant
  FROM portrait.ab_test(100, 1000, 130, 1000, alpha => 0.01);

-- The aggregate form reads (variant, converted) rows; of the two labels the
-- one that sorts first is A (the control).
CREATE TEMP TABLE visits AS
SELECT CASE WHEN g % 2 = 0 THEN 'a_control' ELSE 'b_new_banner' END AS variant,
       (hashint4(g) & 1023) < CASE WHEN g % 2 = 0 THEN 102 ELSE 133 END AS converted
  FROM generate_series(1, 20000) g;
SELECT rate_a, rate_b, round(lift::numeric, 4) AS lift, round(p_value::numeric, 6) AS p_value, significant
  FROM (SELECT (portrait.ab_test(variant, converted)).* FROM visits) r;

-- Welch's t-test of revenue per user (unequal variances).
SELECT variant_a, variant_b, n_a, n_b, mean_a, mean_b, round(var_a::numeric, 12) AS var_a, var_b, diff,
       round(t::numeric, 10) AS t, round(df::numeric, 10) AS df, round(p_value::numeric, 10) AS p_value
  FROM (SELECT (portrait.welch_test(v, x)).*
          FROM (VALUES ('A', 1.0), ('A', 2.0), ('A', 3.0), ('A', 4.0),
                       ('B', 2.0), ('B', 3.0), ('B', 5.0), ('B', 9.0), ('B', 1.0)) t(v, x)) r;

-- The readout names the variants it compares (A is the label sorting first).
SELECT variant_a, variant_b, rate_a, rate_b
  FROM (SELECT (portrait.ab_test(v, c)).*
          FROM (VALUES ('control', false), ('control', true), ('new_checkout', true), ('new_checkout', true)) t(v, c)) r;

-- Rows with a NULL variant or value are skipped.  Bad input:
\set VERBOSITY sqlstate
SELECT portrait.ab_test(120, 100, 1, 10);
SELECT portrait.ab_test(v, true) FROM (VALUES ('a'), ('a')) t(v);
SELECT portrait.ab_test(v, true) FROM (VALUES ('a'), ('b'), ('c')) t(v);
SELECT portrait.welch_test(v, x) FROM (VALUES ('a', 1.0), ('a', 2.0), ('b', 3.0)) t(v, x);
\set VERBOSITY default
