
-- ==================== iforest: anomalous customers ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.iforest_fit_trans(@extschema@.points, double precision[])
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_iforest_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iforest_fit_trans(@extschema@.points, double precision[]) IS 'Transition function of iforest_fit';

CREATE FUNCTION @extschema@.iforest_fit_trans(@extschema@.points, double precision[], jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_iforest_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iforest_fit_trans(@extschema@.points, double precision[], jsonb) IS 'Transition function of iforest_fit with options';

CREATE FUNCTION @extschema@.iforest_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_iforest_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iforest_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of iforest_fit';

CREATE FUNCTION @extschema@.iforest_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_iforest_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iforest_fit_final(@extschema@.points) IS 'Final function of iforest_fit: the isolation forest of the rows as an isolation_forest model';

CREATE FUNCTION @extschema@.anomaly_score(model @extschema@.model, features double precision[])
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_anomaly_score'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.anomaly_score(@extschema@.model, double precision[]) IS 'Isolation forest anomaly score 2^(-E[h]/c(max_samples)) in (0, 1], higher is more anomalous (scikit-learn''s score_samples is its negative)';

CREATE FUNCTION @extschema@.anomaly_robust_z(model @extschema@.model, features double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_anomaly_robust_z'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.anomaly_robust_z(@extschema@.model, double precision[]) IS 'Robust z-score of each feature against an isolation_forest model''s training rows: (x - median) / (1.4826 MAD); NULL for a feature that was constant';

CREATE FUNCTION @extschema@.anomaly_reasons(model @extschema@.model, features double precision[], top integer DEFAULT 3)
    RETURNS TABLE (rank integer, feature text, value double precision, median double precision,
                   robust_z double precision, reason text)
    AS 'MODULE_PATHNAME', 'pp_anomaly_reasons'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 3;
COMMENT ON FUNCTION @extschema@.anomaly_reasons(@extschema@.model, double precision[], integer) IS 'Why a customer is unusual: the features at least 2 robust z from the median, strongest first, at most top, each as a sentence such as "orders 14 MAD above the median"';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.iforest_fit(features double precision[]) (
    SFUNC = @extschema@.iforest_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.iforest_fit_combine, FINALFUNC = @extschema@.iforest_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.iforest_fit(double precision[]) IS 'Isolation forest of the rows (100 trees of 256-row samples, seed 0) as an isolation_forest model';

CREATE AGGREGATE @extschema@.iforest_fit(features double precision[], options jsonb) (
    SFUNC = @extschema@.iforest_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.iforest_fit_combine, FINALFUNC = @extschema@.iforest_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.iforest_fit(double precision[], jsonb) IS 'Isolation forest of the rows as an isolation_forest model; options n_trees, max_samples, seed, feature_names';
