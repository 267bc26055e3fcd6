
-- ==================== bgnbd: BG/NBD churn and purchase model ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.hyp2f1(a double precision, b double precision, c double precision, z double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_hyp2f1'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hyp2f1(double precision, double precision, double precision, double precision) IS 'Gauss hypergeometric function 2F1(a, b; c; z) for real z <= 1 (Pfaff and Euler transformations, series)';

CREATE FUNCTION @extschema@.bgnbd_loglik(x double precision, t_x double precision, "T" double precision, model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_bgnbd_loglik'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_loglik(double precision, double precision, double precision, @extschema@.model) IS 'BG/NBD log-likelihood of one customer''s summary (x, t_x, T) under a bgnbd model';

CREATE FUNCTION @extschema@.p_alive(x double precision, t_x double precision, "T" double precision, model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_p_alive'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.p_alive(double precision, double precision, double precision, @extschema@.model) IS 'Probability that a customer with summary (x, t_x, T) is still alive at T, under a bgnbd, mbgnbd or pareto_nbd model';

CREATE FUNCTION @extschema@.churn_risk(x double precision, t_x double precision, "T" double precision, model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_churn_risk'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_risk(double precision, double precision, double precision, @extschema@.model) IS 'Probability that a customer with summary (x, t_x, T) has dropped out (1 - p_alive), under a bgnbd, mbgnbd or pareto_nbd model';

CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.model, t double precision,
                                               x double precision, t_x double precision, "T" double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_expected_purchases'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.model, double precision, double precision, double precision, double precision) IS 'Expected purchases in the next t of a customer with summary (x, t_x, T), under a bgnbd, mbgnbd or pareto_nbd model';

CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.model, t double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_expected_purchases_new'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.model, double precision) IS 'Expected purchases E[X(t)] of a new customer in the first t, under a bgnbd, mbgnbd or pareto_nbd model';

CREATE FUNCTION @extschema@.prob_purchases(model @extschema@.model, t double precision, n integer)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_prob_purchases'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.prob_purchases(@extschema@.model, double precision, integer) IS 'Probability P(X(t) = n) that a new customer makes exactly n purchases in the first t, under a bgnbd or mbgnbd model';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.bgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_bgnbd_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision) IS 'Transition function of bgnbd_fit';

CREATE FUNCTION @extschema@.bgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_bgnbd_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb) IS 'Transition function of bgnbd_fit with options';

CREATE FUNCTION @extschema@.bgnbd_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_bgnbd_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of bgnbd_fit';

CREATE FUNCTION @extschema@.bgnbd_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_bgnbd_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_fit_final(@extschema@.points) IS 'Final function of bgnbd_fit: the maximum-likelihood fit as a bgnbd model';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.bgnbd_fit(x double precision, t_x double precision, "T" double precision) (
    SFUNC = @extschema@.bgnbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.bgnbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(double precision, double precision, double precision) IS 'Maximum-likelihood BG/NBD model of customers'' summaries (x repeat purchases, t_x, T in days)';

CREATE AGGREGATE @extschema@.bgnbd_fit(x double precision, t_x double precision, "T" double precision, options jsonb) (
    SFUNC = @extschema@.bgnbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.bgnbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(double precision, double precision, double precision, jsonb) IS 'Maximum-likelihood BG/NBD model with options: penalizer, max_iterations, gradient, unit (days, weeks, months, hours)';
