
-- ==================== abtest: conversion and Welch readouts ====================

-- ---------- types ----------

CREATE TYPE @extschema@.ab_state;

CREATE FUNCTION @extschema@.ab_state_in(cstring) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_state_in(cstring) IS 'Text input of the A/B aggregate state (alpha;variants;len:label;n;successes;mean;m2...)';

CREATE FUNCTION @extschema@.ab_state_out(@extschema@.ab_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_ab_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_state_out(@extschema@.ab_state) IS 'Text output of the A/B aggregate state';

CREATE TYPE @extschema@.ab_state (
    INPUT = @extschema@.ab_state_in,
    OUTPUT = @extschema@.ab_state_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.ab_state IS 'State of ab_test and welch_test aggregates: per variant count, conversions, mean and M2 (Chan merge)';

CREATE TYPE @extschema@.ab_test_result AS (
    rate_a      double precision,
    rate_b      double precision,
    diff        double precision,
    diff_low    double precision,
    diff_high   double precision,
    lift        double precision,
    lift_low    double precision,
    lift_high   double precision,
    z           double precision,
    p_value     double precision,
    significant boolean,
    variant_a   text,
    variant_b   text
);
COMMENT ON TYPE @extschema@.ab_test_result IS 'Conversion A/B readout (result of ab_test)';
COMMENT ON COLUMN @extschema@.ab_test_result.rate_a IS 'Conversion rate of A (the control)';
COMMENT ON COLUMN @extschema@.ab_test_result.rate_b IS 'Conversion rate of B';
COMMENT ON COLUMN @extschema@.ab_test_result.diff IS 'rate_b - rate_a';
COMMENT ON COLUMN @extschema@.ab_test_result.diff_low IS 'Lower bound of the unpooled Wald interval of diff at 1 - alpha';
COMMENT ON COLUMN @extschema@.ab_test_result.diff_high IS 'Upper bound of the unpooled Wald interval of diff at 1 - alpha';
COMMENT ON COLUMN @extschema@.ab_test_result.lift IS 'Relative lift rate_b / rate_a - 1 (NULL when rate_a is 0)';
COMMENT ON COLUMN @extschema@.ab_test_result.lift_low IS 'Lower bound of the lift (Katz log interval of the ratio, minus 1; NULL when a rate is 0)';
COMMENT ON COLUMN @extschema@.ab_test_result.lift_high IS 'Upper bound of the lift (Katz log interval of the ratio, minus 1; NULL when a rate is 0)';
COMMENT ON COLUMN @extschema@.ab_test_result.z IS 'Pooled two-proportion z statistic (NULL when both rates are 0 or both 1)';
COMMENT ON COLUMN @extschema@.ab_test_result.p_value IS 'Two-sided p-value of z';
COMMENT ON COLUMN @extschema@.ab_test_result.significant IS 'p_value < alpha';
COMMENT ON COLUMN @extschema@.ab_test_result.variant_a IS 'Label of variant A, the label sorting first (NULL for the counts form)';
COMMENT ON COLUMN @extschema@.ab_test_result.variant_b IS 'Label of variant B (NULL for the counts form)';

CREATE TYPE @extschema@.welch_test_result AS (
    variant_a   text,
    variant_b   text,
    n_a         bigint,
    n_b         bigint,
    mean_a      double precision,
    mean_b      double precision,
    var_a       double precision,
    var_b       double precision,
    diff        double precision,
    diff_low    double precision,
    diff_high   double precision,
    t           double precision,
    df          double precision,
    p_value     double precision,
    significant boolean
);
COMMENT ON TYPE @extschema@.welch_test_result IS 'Welch''s t-test readout of a continuous metric (result of welch_test)';
COMMENT ON COLUMN @extschema@.welch_test_result.variant_a IS 'Label of A: of the two labels, the one sorting first (byte order)';
COMMENT ON COLUMN @extschema@.welch_test_result.variant_b IS 'Label of B';
COMMENT ON COLUMN @extschema@.welch_test_result.n_a IS 'Rows of A';
COMMENT ON COLUMN @extschema@.welch_test_result.n_b IS 'Rows of B';
COMMENT ON COLUMN @extschema@.welch_test_result.mean_a IS 'Mean of A';
COMMENT ON COLUMN @extschema@.welch_test_result.mean_b IS 'Mean of B';
COMMENT ON COLUMN @extschema@.welch_test_result.var_a IS 'Sample variance of A (n - 1 denominator)';
COMMENT ON COLUMN @extschema@.welch_test_result.var_b IS 'Sample variance of B (n - 1 denominator)';
COMMENT ON COLUMN @extschema@.welch_test_result.diff IS 'mean_b - mean_a';
COMMENT ON COLUMN @extschema@.welch_test_result.diff_low IS 'Lower bound of the Welch interval of diff at 1 - alpha';
COMMENT ON COLUMN @extschema@.welch_test_result.diff_high IS 'Upper bound of the Welch interval of diff at 1 - alpha';
COMMENT ON COLUMN @extschema@.welch_test_result.t IS 'Welch t statistic (B minus A)';
COMMENT ON COLUMN @extschema@.welch_test_result.df IS 'Welch-Satterthwaite degrees of freedom';
COMMENT ON COLUMN @extschema@.welch_test_result.p_value IS 'Two-sided p-value';
COMMENT ON COLUMN @extschema@.welch_test_result.significant IS 'p_value < alpha';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.ab_test(conversions_a bigint, n_a bigint, conversions_b bigint, n_b bigint,
                                    alpha double precision DEFAULT 0.05)
    RETURNS @extschema@.ab_test_result
    AS 'MODULE_PATHNAME', 'pp_ab_test' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_test(bigint, bigint, bigint, bigint, double precision) IS 'Conversion A/B readout from counts: rates, difference and lift with intervals, pooled z and two-sided p-value';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.ab_conversion_trans(@extschema@.ab_state, text, boolean) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_conversion_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_conversion_trans(@extschema@.ab_state, text, boolean) IS 'Transition function of the ab_test aggregate';

CREATE FUNCTION @extschema@.ab_conversion_trans(@extschema@.ab_state, text, boolean, double precision) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_conversion_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_conversion_trans(@extschema@.ab_state, text, boolean, double precision) IS 'Transition function of the ab_test aggregate with alpha';

CREATE FUNCTION @extschema@.ab_welch_trans(@extschema@.ab_state, text, double precision) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_welch_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_welch_trans(@extschema@.ab_state, text, double precision) IS 'Transition function of welch_test';

CREATE FUNCTION @extschema@.ab_welch_trans(@extschema@.ab_state, text, double precision, double precision) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_welch_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_welch_trans(@extschema@.ab_state, text, double precision, double precision) IS 'Transition function of welch_test with alpha';

CREATE FUNCTION @extschema@.ab_combine(@extschema@.ab_state, @extschema@.ab_state) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_combine(@extschema@.ab_state, @extschema@.ab_state) IS 'Combine function of ab_test and welch_test (Chan merge of moments)';

CREATE FUNCTION @extschema@.ab_conversion_final(@extschema@.ab_state) RETURNS @extschema@.ab_test_result
    AS 'MODULE_PATHNAME', 'pp_ab_conversion_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_conversion_final(@extschema@.ab_state) IS 'Final function of the ab_test aggregate';

CREATE FUNCTION @extschema@.welch_test_final(@extschema@.ab_state) RETURNS @extschema@.welch_test_result
    AS 'MODULE_PATHNAME', 'pp_welch_test_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.welch_test_final(@extschema@.ab_state) IS 'Final function of welch_test';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.ab_test(variant text, converted boolean) (
    SFUNC = @extschema@.ab_conversion_trans,
    STYPE = @extschema@.ab_state,
    COMBINEFUNC = @extschema@.ab_combine,
    FINALFUNC = @extschema@.ab_conversion_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ab_test(text, boolean) IS 'Conversion A/B readout over (variant, converted) rows; A is the label sorting first; alpha 0.05';

CREATE AGGREGATE @extschema@.ab_test(variant text, converted boolean, alpha double precision) (
    SFUNC = @extschema@.ab_conversion_trans,
    STYPE = @extschema@.ab_state,
    COMBINEFUNC = @extschema@.ab_combine,
    FINALFUNC = @extschema@.ab_conversion_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ab_test(text, boolean, double precision) IS 'Conversion A/B readout over (variant, converted) rows at a given alpha';

CREATE AGGREGATE @extschema@.welch_test(variant text, value double precision) (
    SFUNC = @extschema@.ab_welch_trans,
    STYPE = @extschema@.ab_state,
    COMBINEFUNC = @extschema@.ab_combine,
    FINALFUNC = @extschema@.welch_test_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.welch_test(text, double precision) IS 'Welch''s t-test of a continuous metric over (variant, value) rows; A is the label sorting first; alpha 0.05';

CREATE AGGREGATE @extschema@.welch_test(variant text, value double precision, alpha double precision) (
    SFUNC = @extschema@.ab_welch_trans,
    STYPE = @extschema@.ab_state,
    COMBINEFUNC = @extschema@.ab_combine,
    FINALFUNC = @extschema@.welch_test_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.welch_test(text, double precision, double precision) IS 'Welch''s t-test over (variant, value) rows at a given alpha';
