
-- ==================== pareto_nbd: Pareto/NBD (Schmittlein et al. 1987: exponential lifetimes, customers may leave at any time) ====================

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.pareto_nbd_fit_trans(@extschema@.points, double precision, double precision, double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_pareto_nbd_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.pareto_nbd_fit_trans(@extschema@.points, double precision, double precision, double precision) IS 'Transition function of pareto_nbd_fit';

CREATE FUNCTION @extschema@.pareto_nbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_pareto_nbd_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.pareto_nbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb) IS 'Transition function of pareto_nbd_fit with options';

CREATE FUNCTION @extschema@.pareto_nbd_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_pareto_nbd_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.pareto_nbd_fit_final(@extschema@.points) IS 'Final function of pareto_nbd_fit: the maximum-likelihood fit as a pareto_nbd model';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.pareto_nbd_fit(x double precision, t_x double precision, "T" double precision) (
    SFUNC = @extschema@.pareto_nbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.pareto_nbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.pareto_nbd_fit(double precision, double precision, double precision) IS 'Maximum-likelihood Pareto/NBD model of customers'' summaries (x repeat purchases, t_x, T in days)';

CREATE AGGREGATE @extschema@.pareto_nbd_fit(x double precision, t_x double precision, "T" double precision, options jsonb) (
    SFUNC = @extschema@.pareto_nbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.pareto_nbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.pareto_nbd_fit(double precision, double precision, double precision, jsonb) IS 'Maximum-likelihood Pareto/NBD model with options: penalizer, max_iterations, gradient, unit (days, weeks, months, hours)';
