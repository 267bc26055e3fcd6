
-- ==================== mbgnbd: MBG/NBD (Batislam et al. 2007: customers may also drop out at the first purchase) ====================

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.mbgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_mbgnbd_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mbgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision) IS 'Transition function of mbgnbd_fit';

CREATE FUNCTION @extschema@.mbgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_mbgnbd_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mbgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb) IS 'Transition function of mbgnbd_fit with options';

CREATE FUNCTION @extschema@.mbgnbd_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_mbgnbd_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mbgnbd_fit_final(@extschema@.points) IS 'Final function of mbgnbd_fit: the maximum-likelihood fit as a mbgnbd model';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.mbgnbd_fit(x double precision, t_x double precision, "T" double precision) (
    SFUNC = @extschema@.mbgnbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.mbgnbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.mbgnbd_fit(double precision, double precision, double precision) IS 'Maximum-likelihood MBG/NBD model of customers'' summaries (x repeat purchases, t_x, T in days)';

CREATE AGGREGATE @extschema@.mbgnbd_fit(x double precision, t_x double precision, "T" double precision, options jsonb) (
    SFUNC = @extschema@.mbgnbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.mbgnbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.mbgnbd_fit(double precision, double precision, double precision, jsonb) IS 'Maximum-likelihood MBG/NBD model with options: penalizer, max_iterations, gradient, unit (days, weeks, months, hours)';
