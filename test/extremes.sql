-- Extreme finite inputs: every function that takes or returns numbers, fed
-- ±1e308, ±1e-308, subnormals, -0, the largest double and values whose
-- squares or sums overflow, either returns finite numbers or raises a data
-- exception (22xxx) naming the problem; never NaN or Infinity, never an
-- internal error.
BEGIN;
SELECT plan(22);
SET LOCAL client_min_messages = warning;

-- NULL when sql (with $v standing for the literal v) returns only finite
-- values or raises a 22xxx or 54xxx error; otherwise what went wrong
CREATE FUNCTION pg_temp.extreme_lit(sql text, v text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    res text;
    st text;
    msg text;
BEGIN
    BEGIN
        EXECUTE 'SELECT string_agg(x::text, '' '') FROM (' || replace(sql, '$v', '(' || v || ')') || ') x' INTO res;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        IF st LIKE '22%' OR st LIKE '54%' THEN
            RETURN NULL;
        END IF;
        RETURN format('%s: error %s %s', v, st, msg);
    END;
    IF res ~* '\m(nan|infinity)\M' THEN
        RETURN format('%s: %s', v, left(res, 300));
    END IF;
    RETURN NULL;
END
$fn$;
CREATE FUNCTION pg_temp.extreme(sql text, v float8) RETURNS text LANGUAGE sql AS $fn$
    SELECT pg_temp.extreme_lit(sql, quote_literal(v::text) || '::float8')
$fn$;

CREATE TEMP TABLE extreme_values (v float8);
INSERT INTO extreme_values VALUES
    (1e308), (-1e308), (1.7976931348623157e308), (-1.7976931348623157e308),
    (1e-308), (-1e-308), (2.2250738585072014e-308), (4.9e-324), (-4.9e-324), (1e-320),
    ('-0'), (0), (1e154), (1e155), (-1e155), (1e200), (1e-160), (1e-200);

-- the same for integer arguments: $v stands for a bigint literal of v
CREATE FUNCTION pg_temp.extreme_int(sql text, v bigint) RETURNS text LANGUAGE sql AS $fn$
    SELECT pg_temp.extreme_lit(sql, v || '::bigint')
$fn$;
CREATE TEMP TABLE extreme_ints (v bigint);
INSERT INTO extreme_ints VALUES
    (9223372036854775807), (-9223372036854775808), (2147483647), (-2147483648), (4294967296), (0), (-1);

-- the sweep of one family: no row means every case is fine
CREATE FUNCTION pg_temp.sweep(cases text[]) RETURNS SETOF text LANGUAGE sql AS $fn$
    SELECT c || ' -> ' || r
      FROM unnest(cases) c, extreme_values e, LATERAL pg_temp.extreme(c, e.v) r
     WHERE r IS NOT NULL
$fn$;

CREATE FUNCTION pg_temp.sweep_int(cases text[]) RETURNS SETOF text LANGUAGE sql AS $fn$
    SELECT c || ' -> ' || r
      FROM unnest(cases) c, extreme_ints e, LATERAL pg_temp.extreme_int(c, e.v) r
     WHERE r IS NOT NULL
$fn$;

-- models to score against
CREATE TEMP TABLE m AS SELECT
    '{"kind": "bgnbd", "format": 1, "r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4, "unit": "days", "log_likelihood": 0, "n": 1000, "penalizer": 0, "iterations": 0, "converged": true}'::portrait.model AS bg,
    '{"kind": "gamma_gamma", "format": 1, "p": 2, "q": 3, "gamma": 5}'::portrait.model AS gg,
    '{"kind": "rfm", "format": 1, "buckets": 3, "n": 9, "recency": [30, 10], "frequency": [1, 2], "monetary": [100, 250.5], "mean_score": [2, 1.8, 2]}'::portrait.model AS rfm,
    (SELECT portrait.kmeans_fit(ARRAY[g % 7, g % 5]::float8[], 2, '{"seed": 1}') FROM generate_series(1, 40) g) AS km,
    (SELECT portrait.logit_fit(g % 3 = 0, ARRAY[g % 7, g % 5]::float8[]) FROM generate_series(1, 40) g) AS lg;

SELECT is_empty($$SELECT pg_temp.sweep(ARRAY[
    'SELECT (portrait.ab_test(10, 100, 20, 100, $v)).*',
    'SELECT (portrait.ab_test(v, c, $v)).* FROM (SELECT g % 2 = 0, g % 3 = 0 FROM generate_series(1, 40) g) t(v0, c), LATERAL (SELECT v0::text) l(v)',
    'SELECT (portrait.welch_test(CASE WHEN g % 2 = 0 THEN ''a'' ELSE ''b'' END, CASE WHEN g = 7 THEN $v ELSE g END)).* FROM generate_series(1, 50) g',
    'SELECT (portrait.welch_test(CASE WHEN g % 2 = 0 THEN ''a'' ELSE ''b'' END, g * $v)).* FROM generate_series(1, 50) g',
    'SELECT (portrait.welch_test(CASE WHEN g % 2 = 0 THEN ''a'' ELSE ''b'' END, $v + g)).* FROM generate_series(1, 50) g',
    'SELECT (portrait.welch_test(CASE WHEN g % 2 = 0 THEN ''a'' ELSE ''b'' END, g, $v)).* FROM generate_series(1, 50) g'])$$,
  'ab_test and welch_test: finite results or a data exception');

SELECT is_empty($$SELECT pg_temp.sweep(ARRAY[
    'SELECT portrait.hyp2f1($v, 1, 2, 0.5)', 'SELECT portrait.hyp2f1(1, $v, 2, 0.5)',
    'SELECT portrait.hyp2f1(1, 1, $v, 0.5)', 'SELECT portrait.hyp2f1(1, 1, 2, $v)'])$$,
  'hyp2f1: finite results or a data exception');

SELECT is_empty($$SELECT pg_temp.sweep(ARRAY[
    'SELECT portrait.bgnbd_loglik($v, 30, 40, bg) FROM m', 'SELECT portrait.bgnbd_loglik(2, $v, 40, bg) FROM m',
    'SELECT portrait.bgnbd_loglik(2, 30, $v, bg) FROM m', 'SELECT portrait.bgnbd_loglik(0, 0, $v, bg) FROM m',
    'SELECT portrait.p_alive($v, 30, 40, bg) FROM m', 'SELECT portrait.p_alive(2, $v, 40, bg) FROM m',
    'SELECT portrait.p_alive(2, 30, $v, bg) FROM m',
    'SELECT portrait.churn_risk($v, 30, 40, bg) FROM m', 'SELECT portrait.churn_risk(2, 30, $v, bg) FROM m',
    'SELECT portrait.p_alive(0, 0, $v, bg) FROM m', 'SELECT portrait.expected_purchases(bg, 10, 0, 0, $v) FROM m',
    'SELECT portrait.expected_purchases(bg, $v) FROM m', 'SELECT portrait.expected_purchases(bg, $v, 2, 30, 40) FROM m',
    'SELECT portrait.expected_purchases(bg, 10, $v, 30, 40) FROM m', 'SELECT portrait.expected_purchases(bg, 10, 2, $v, 40) FROM m',
    'SELECT portrait.expected_purchases(bg, 10, 2, 30, $v) FROM m',
    'SELECT portrait.prob_purchases(bg, $v, 2) FROM m'])$$,
  'BG/NBD scoring: finite results or a data exception');

SELECT is_empty($$SELECT pg_temp.sweep(ARRAY[
    'SELECT portrait.expected_avg_value(gg, $v, 20) FROM m', 'SELECT portrait.expected_avg_value(gg, 2, $v) FROM m',
    'SELECT portrait.clv(bg, gg, $v, 30, 40, 20) FROM m', 'SELECT portrait.clv(bg, gg, 2, 30, 40, $v) FROM m',
    'SELECT portrait.clv(bg, gg, 2, 30, $v, 20) FROM m', 'SELECT portrait.clv(bg, gg, 0, 0, $v, 20) FROM m', 'SELECT portrait.clv(bg, gg, 2, 30, 40, 20, 12, $v) FROM m'])$$,
  'Gamma-Gamma and CLV scoring: finite results or a data exception');

SELECT is_empty($$SELECT pg_temp.sweep(ARRAY[
    'SELECT portrait.bgnbd_fit(x, t_x, "T") FROM (SELECT CASE WHEN g = 3 THEN $v ELSE g % 4 END, g % 4 * 2.0, 20.0 FROM generate_series(1, 30) g) t(x, t_x, "T")',
    'SELECT portrait.bgnbd_fit(g % 4, g % 4 * 2.0, CASE WHEN g = 3 THEN $v ELSE 20 END) FROM generate_series(1, 30) g',
    'SELECT portrait.gamma_gamma_fit(1 + g % 4, CASE WHEN g = 3 THEN $v ELSE 10 + g END) FROM generate_series(1, 30) g',
    'SELECT portrait.gamma_gamma_fit(1 + g % 4, $v * g) FROM generate_series(1, 30) g'])$$,
  'BG/NBD and Gamma-Gamma fits: finite models or a data exception');

SELECT is_empty($$SELECT pg_temp.sweep(ARRAY[
    'SELECT portrait.kmeans_fit(ARRAY[CASE WHEN g = 3 THEN $v ELSE g % 7 END, g % 5]::float8[], 2, ''{"seed": 1}'') FROM generate_series(1, 40) g',
    'SELECT portrait.kmeans_fit(ARRAY[g * $v, g % 5]::float8[], 2, ''{"seed": 1}'') FROM generate_series(1, 40) g',
    'SELECT portrait.kmeans_fit(ARRAY[g * $v, g % 5]::float8[], 2, ''{"seed": 1, "standardize": true}'') FROM generate_series(1, 40) g',
    'SELECT portrait.kmeans_assign(ARRAY[$v, 1], km) FROM m', 'SELECT portrait.kmeans_distance(ARRAY[$v, 1], km) FROM m',
    'SELECT portrait.kmeans_scale(ARRAY[$v, 1], km) FROM m',
    'SELECT (portrait.silhouette(ARRAY[CASE WHEN g = 3 THEN $v ELSE g END], g % 2)).* FROM generate_series(1, 20) g',
    'SELECT (portrait.silhouette(ARRAY[CASE WHEN g = 3 THEN $v WHEN g = 4 THEN -$v ELSE g END], g % 2)).* FROM generate_series(1, 20) g',
    'SELECT (portrait.silhouette(ARRAY[g * $v, 1], g % 2)).* FROM generate_series(1, 20) g',
    'SELECT portrait.kmeans_stats(ARRAY[CASE WHEN g = 3 THEN $v ELSE g END, 1]::float8[]) FROM generate_series(1, 20) g',
    'SELECT portrait.kmeans_train(format(''SELECT ARRAY[CASE WHEN g = 3 THEN %s ELSE g %% 7 END, g %% 5]::float8[] AS f FROM generate_series(1, 40) g'', $v), ''f'', 2, ''{"seed": 1}'')'])$$,
  'k-means and silhouette: finite results or a data exception');

SELECT is_empty($$SELECT pg_temp.sweep(ARRAY[
    'SELECT portrait.logit_fit(g % 3 = 0, ARRAY[CASE WHEN g = 3 THEN $v ELSE g % 7 END, g % 5]::float8[]) FROM generate_series(1, 40) g',
    'SELECT portrait.logit_fit(g % 3 = 0, ARRAY[g * $v, g % 5]::float8[]) FROM generate_series(1, 40) g',
    'SELECT portrait.churn_risk(ARRAY[$v, 1], lg) FROM m',
    'SELECT portrait.logit_train(format(''SELECT g %% 3 = 0 AS y, CASE WHEN g = 3 THEN %s ELSE g %% 7 END AS a, (g %% 5)::float8 AS b FROM generate_series(1, 40) g'', $v), ''y'', ARRAY[''a'', ''b''])',
    'SELECT portrait.auc(CASE WHEN g = 3 THEN $v ELSE g END, g % 3 = 0) FROM generate_series(1, 40) g',
    'SELECT portrait.auc(g * $v, g % 3 = 0) FROM generate_series(1, 40) g'])$$,
  'logistic regression and auc: finite results or a data exception');

SELECT is_empty($$SELECT pg_temp.sweep(ARRAY[
    'SELECT portrait.rfm_score($v, 1, 1, rfm) FROM m', 'SELECT portrait.rfm_score(1, $v, 1, rfm) FROM m',
    'SELECT portrait.rfm_score(1, 1, $v, rfm) FROM m',
    'SELECT portrait.rfm_breaks(CASE WHEN g = 3 THEN $v ELSE g END, g % 5, g * 2.5) FROM generate_series(1, 30) g',
    'SELECT portrait.rfm_breaks(g, g % 5, g * $v) FROM generate_series(1, 30) g',
    'SELECT portrait.rfm_score(CASE WHEN g = 3 THEN $v ELSE g END, g % 5, g * 2.5) OVER () FROM generate_series(1, 30) g',
    'SELECT portrait.rfm_score(g, g % 5, g * $v) OVER () FROM generate_series(1, 30) g',
    'SELECT (portrait.rfm_summary(date ''2024-01-01'' + g, CASE WHEN g = 3 THEN $v ELSE g END, date ''2024-12-31'')).* FROM generate_series(1, 30) g',
    'SELECT (portrait.rfm_summary(date ''2024-01-01'' + g, g * $v, date ''2024-12-31'')).* FROM generate_series(1, 30) g'])$$,
  'RFM: finite results or a data exception');

SELECT is_empty($$SELECT pg_temp.sweep(ARRAY[
    'SELECT * FROM portrait.tgi_table((SELECT portrait.tgi(g % 3 = 0, jsonb_build_object(''spend'', CASE WHEN g = 3 THEN $v ELSE g END, ''city'', g % 4)) FROM generate_series(1, 40) g))',
    'SELECT * FROM portrait.tgi_table((SELECT portrait.tgi(g % 3 = 0, jsonb_build_object(''spend'', g * $v)) FROM generate_series(1, 40) g))',
    'SELECT * FROM portrait.tgi_table((SELECT portrait.profile_agg(jsonb_build_object(''spend'', CASE WHEN g = 3 THEN $v ELSE g END)) FROM generate_series(1, 40) g))'])$$,
  'TGI profiles: finite results or a data exception');

SELECT is_empty($$SELECT pg_temp.sweep(ARRAY[
    'SELECT portrait.lifecycle_stage($v, 100)', 'SELECT portrait.lifecycle_stage(0, $v)',
    'SELECT portrait.lifecycle_stage(10, 100, $v, 30)', 'SELECT portrait.lifecycle_stage(10, 100, 3, $v)'])$$,
  'lifecycle_stage: a stage or a data exception');

SELECT is_empty($$SELECT pg_temp.sweep(ARRAY[
    'SELECT portrait.window_funnel(make_interval(secs => $v), timestamptz ''2024-01-01'' + g * interval ''1 hour'', g % 2 = 0, g % 2 = 1) FROM generate_series(1, 10) g',
    'SELECT portrait.sequence_count(''(?1)(?t<='' || $v || '')(?2)'', timestamptz ''2024-01-01'' + g * interval ''1 hour'', g % 2 = 0, g % 2 = 1) FROM generate_series(1, 10) g',
    'SELECT (portrait.session_id(timestamptz ''2024-01-01'' + g * interval ''1 hour'', make_interval(secs => $v)) OVER (ORDER BY g)) FROM generate_series(1, 10) g'])$$,
  'events, funnels and sequences: numbers as windows and gaps give finite answers or a data exception');

SELECT is_empty($$SELECT pg_temp.sweep_int(ARRAY[
    'SELECT (portrait.ab_test($v, $v, 1, 2)).*', 'SELECT (portrait.ab_test(1, $v, 1, $v)).*',
    'SELECT (portrait.ab_test($v - 1, $v, 0, $v)).*',
    'SELECT portrait.funnel_counts(1, $v::int)', 'SELECT * FROM portrait.funnel_table(ARRAY[$v, 1, 0])',
    'SELECT * FROM portrait.funnel_table(ARRAY[$v, $v])',
    'SELECT portrait.rfm_breaks(g, g % 5, g, $v::int) FROM generate_series(1, 30) g',
    'SELECT portrait.rfm_score(g, g % 5, g, $v::int) OVER () FROM generate_series(1, 30) g',
    'SELECT portrait.kmeans_fit(ARRAY[g % 7, g % 5]::float8[], $v::int) FROM generate_series(1, 40) g',
    'SELECT portrait.kmeans_fit(ARRAY[g % 7, g % 5]::float8[], 2, jsonb_build_object(''seed'', $v)) FROM generate_series(1, 40) g',
    'SELECT portrait.kmeans_fit(ARRAY[g % 7, g % 5]::float8[], 2, jsonb_build_object(''max_iter'', $v)) FROM generate_series(1, 40) g',
    'SELECT (portrait.silhouette(ARRAY[g::float8], g % 2, $v::int)).* FROM generate_series(1, 20) g',
    'SELECT portrait.kmeans_sample(ARRAY[g::float8], $v) FROM generate_series(1, 20) g',
    'SELECT portrait.prob_purchases(bg, 10, $v::int) FROM m', 'SELECT portrait.clv(bg, gg, 2, 30, 40, 20, $v::int) FROM m',
    'SELECT portrait.bgnbd_fit(g % 4, g % 4 * 2.0, 20, jsonb_build_object(''max_iterations'', $v)) FROM generate_series(1, 30) g',
    'SELECT portrait.logit_fit(g % 3 = 0, ARRAY[g % 7, g % 5]::float8[], jsonb_build_object(''max_iter'', $v)) FROM generate_series(1, 40) g',
    'SELECT * FROM portrait.tgi_table((SELECT portrait.tgi(g % 3 = 0, jsonb_build_object(''spend'', g)) FROM generate_series(1, 40) g), $v)',
    'SELECT portrait.profile_label((SELECT portrait.tgi(g % 3 = 0, jsonb_build_object(''spend'', g)) FROM generate_series(1, 40) g), $v::int)',
    'SELECT * FROM portrait.cohort_table((SELECT portrait.cohort_users(g, timestamptz ''2024-01-01'' + g * interval ''1 day'', ''week'', $v::int) FROM generate_series(1, 40) g))',
    'SELECT portrait.cohort_activity(timestamptz ''2024-01-01'' + g * interval ''1 day'', ''week'', $v::int) FROM generate_series(1, 40) g'])$$,
  'integer arguments at their limits: finite results or a data exception');

-- the errors the sweep relies on, one by one
SELECT throws_ok($$SELECT portrait.ab_test(10, 100, 20, 100, 4.9e-324)$$, '22003', 'alpha 4.94066e-324 is too small',
                 'ab_test: an alpha whose quantile is out of range is refused');
SELECT throws_ok($$SELECT portrait.welch_test(v, x, 1e-301) FROM (VALUES ('a', 1.0), ('a', 2.0), ('b', 3.0), ('b', 5.0)) t(v, x)$$,
                 '22003', 'alpha 1e-301 is too small', 'welch_test: the same for its alpha');
SELECT lives_ok($$SELECT portrait.ab_test(10, 100, 20, 100, 1e-300)$$, 'ab_test: alpha 1e-300 is computed');
-- Student's t tail far out: the quantile of alpha / 2 = 5e-301 with 1 degree of
-- freedom is 1 / (pi 5e-301), its square far beyond double precision
SELECT ok((SELECT abs((w).diff_high / 1e-10 - 1 / (pi() * 5e-301)) < 1e-9 / (pi() * 5e-301)
             FROM (SELECT portrait.welch_test(v, x, 1e-300) AS w
                     FROM (VALUES ('a', 0.0), ('a', 0.0), ('b', 0.0), ('b', 2e-10)) t(v, x)) s),
          'welch_test: the t quantile of 5e-301 with df = 1 is 1 / (pi 5e-301), to 1e-9');
SELECT throws_ok($$SELECT portrait.welch_test(v, x, 1e-300) FROM (VALUES ('a', 0.0), ('a', 0.0), ('b', 0.0), ('b', 1e10)) t(v, x)$$,
                 '22003', 'welch_test interval is out of range', 'welch_test: an interval wider than double precision is refused');
SELECT throws_ok($$SELECT portrait.welch_test(CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END, CASE WHEN g = 7 THEN 1e308 ELSE g END)
                     FROM generate_series(1, 50) g$$,
                 '22003', 'welch_test values of variant "b" are out of range', 'welch_test: a variance that overflows is refused');
SELECT throws_ok($$SELECT portrait.welch_test(CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END, CASE WHEN g = 8 THEN -1e308 ELSE g END)
                     FROM generate_series(1, 50) g$$,
                 '22003', 'welch_test values of variant "a" are out of range', 'welch_test: so is one of -1e308');
SELECT throws_ok($$SELECT portrait.kmeans_stats(ARRAY[CASE WHEN g = 3 THEN 1e200 ELSE g END, 1]::float8[]) FROM generate_series(1, 20) g$$,
                 '22003', 'kmeans_stats: the variance of feature 1 is out of range', 'kmeans_stats: a variance that overflows is refused');
-- silhouette is computed on rescaled points when squares would overflow or
-- vanish: the same answer at every scale
SELECT ok((SELECT max(s) - min(s) < 1e-12 FROM (
             SELECT (portrait.silhouette(ARRAY[g * f, (g % 5) * f], g % 3)).silhouette AS s
               FROM generate_series(1, 30) g, unnest(ARRAY[1, 1e300, -1e300, 1e-300, 1e-310]::float8[]) f GROUP BY f) t),
          'silhouette: the same value for points scaled by 1, ±1e300, 1e-300 and 1e-310');

-- the sweep notices a NaN when there is one
SELECT is(pg_temp.extreme('SELECT $v * 0 + ''NaN''::float8', 1), '''1''::float8: (NaN)', 'the sweep reports a NaN result');
SELECT * FROM finish();
ROLLBACK;
