
-- ==================== btyd_compare: the three churn models side by side ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.btyd_loglik(x double precision, t_x double precision, "T" double precision, model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_btyd_loglik'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.btyd_loglik(double precision, double precision, double precision, @extschema@.model) IS 'Log-likelihood of one customer''s summary (x, t_x, T) under a bgnbd, mbgnbd or pareto_nbd model';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.btyd_compare_trans(@extschema@.points, double precision, double precision, double precision, double precision, double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_btyd_compare_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.btyd_compare_trans(@extschema@.points, double precision, double precision, double precision, double precision, double precision) IS 'Transition function of btyd_compare';

CREATE FUNCTION @extschema@.btyd_compare_trans(@extschema@.points, double precision, double precision, double precision, double precision, double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_btyd_compare_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.btyd_compare_trans(@extschema@.points, double precision, double precision, double precision, double precision, double precision, jsonb) IS 'Transition function of btyd_compare with options';

CREATE FUNCTION @extschema@.btyd_compare_final(@extschema@.points)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'pp_btyd_compare_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.btyd_compare_final(@extschema@.points) IS 'Final function of btyd_compare: fits BG/NBD, MBG/NBD and Pareto/NBD and reports their holdout checks';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.btyd_compare(x double precision, t_x double precision, "T" double precision,
                                          x_holdout double precision, holdout_length double precision) (
    SFUNC = @extschema@.btyd_compare_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.btyd_compare_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.btyd_compare(double precision, double precision, double precision, double precision, double precision) IS 'Holdout check of BG/NBD, MBG/NBD and Pareto/NBD: fits on calibration summaries, actual vs expected holdout purchases by frequency, MAE, RMSE, log-likelihood, AIC, BIC (jsonb report)';

CREATE AGGREGATE @extschema@.btyd_compare(x double precision, t_x double precision, "T" double precision,
                                          x_holdout double precision, holdout_length double precision, options jsonb) (
    SFUNC = @extschema@.btyd_compare_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.btyd_compare_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.btyd_compare(double precision, double precision, double precision, double precision, double precision, jsonb) IS 'Holdout check of the three churn models with fit options: penalizer, max_iterations, gradient, unit';

-- ---------- reading the report ----------

CREATE FUNCTION @extschema@.btyd_compare_models(report jsonb)
    RETURNS TABLE (model text, log_likelihood double precision, aic double precision, bic double precision,
                   holdout_actual double precision, holdout_expected double precision,
                   mae double precision, rmse double precision, converged boolean, fit @extschema@.model)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m->>'model', (m->>'log_likelihood')::float8, (m->>'aic')::float8, (m->>'bic')::float8,
           (report->>'holdout_actual')::float8, (m->>'holdout_expected')::float8,
           (m->>'mae')::float8, (m->>'rmse')::float8, (m->>'converged')::boolean,
           (m->'fit')::text::@extschema@.model
    FROM pg_catalog.jsonb_array_elements(report->'models') WITH ORDINALITY AS e(m, i)
    ORDER BY i
$$;
COMMENT ON FUNCTION @extschema@.btyd_compare_models(jsonb) IS 'One row per model of a btyd_compare report: log-likelihood, AIC, BIC, holdout purchases actual and expected, per-customer MAE and RMSE, and the fitted model';

CREATE FUNCTION @extschema@.btyd_compare_by_frequency(report jsonb)
    RETURNS TABLE (frequency text, customers bigint, actual double precision, bgnbd double precision,
                   mbgnbd double precision, pareto_nbd double precision)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT f->>'frequency', (f->>'customers')::bigint, (f->>'actual')::float8, (f->>'bgnbd')::float8,
           (f->>'mbgnbd')::float8, (f->>'pareto_nbd')::float8
    FROM pg_catalog.jsonb_array_elements(report->'by_frequency') WITH ORDINALITY AS e(f, i)
    ORDER BY i
$$;
COMMENT ON FUNCTION @extschema@.btyd_compare_by_frequency(jsonb) IS 'The table of a btyd_compare report: mean holdout purchases per customer, actual and expected by each model, by calibration frequency 0, 1, ..., 7+';
