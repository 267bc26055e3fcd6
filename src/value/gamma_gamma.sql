
-- ==================== gamma_gamma: spend model and customer lifetime value ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.expected_avg_value(model @extschema@.model, x double precision, avg_value double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_expected_avg_value'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_avg_value(@extschema@.model, double precision, double precision) IS 'Gamma-Gamma expected average transaction value of a customer with x repeat purchases of mean value avg_value (the population mean when x = 0)';

CREATE FUNCTION @extschema@.clv(bgnbd_model @extschema@.model, gg_model @extschema@.model,
                                x double precision, t_x double precision, "T" double precision,
                                avg_value double precision, months integer DEFAULT 12,
                                monthly_discount double precision DEFAULT 0.01)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_clv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv(@extschema@.model, @extschema@.model, double precision, double precision, double precision, double precision, integer, double precision) IS 'Customer lifetime value over the next months: purchases per month of a bgnbd, mbgnbd or pareto_nbd model times Gamma-Gamma expected value, discounted monthly';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.gamma_gamma_fit_trans(@extschema@.points, double precision, double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_gamma_gamma_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gamma_gamma_fit_trans(@extschema@.points, double precision, double precision) IS 'Transition function of gamma_gamma_fit';

CREATE FUNCTION @extschema@.gamma_gamma_fit_trans(@extschema@.points, double precision, double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_gamma_gamma_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gamma_gamma_fit_trans(@extschema@.points, double precision, double precision, jsonb) IS 'Transition function of gamma_gamma_fit with options';

CREATE FUNCTION @extschema@.gamma_gamma_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_gamma_gamma_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gamma_gamma_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of gamma_gamma_fit';

CREATE FUNCTION @extschema@.gamma_gamma_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_gamma_gamma_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gamma_gamma_fit_final(@extschema@.points) IS 'Final function of gamma_gamma_fit: the maximum-likelihood fit as a gamma_gamma model';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.gamma_gamma_fit(x double precision, avg_value double precision) (
    SFUNC = @extschema@.gamma_gamma_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.gamma_gamma_fit_combine, FINALFUNC = @extschema@.gamma_gamma_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.gamma_gamma_fit(double precision, double precision) IS 'Maximum-likelihood Gamma-Gamma spend model of repeat buyers (rows with x = 0 are skipped)';

CREATE AGGREGATE @extschema@.gamma_gamma_fit(x double precision, avg_value double precision, options jsonb) (
    SFUNC = @extschema@.gamma_gamma_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.gamma_gamma_fit_combine, FINALFUNC = @extschema@.gamma_gamma_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.gamma_gamma_fit(double precision, double precision, jsonb) IS 'Maximum-likelihood Gamma-Gamma spend model with options: penalizer, max_iterations, gradient';
