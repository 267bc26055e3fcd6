
-- ==================== dbscan: density clustering ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.dbscan_fit_trans(@extschema@.points, bigint, double precision[], double precision, integer)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_dbscan_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dbscan_fit_trans(@extschema@.points, bigint, double precision[], double precision, integer) IS 'Transition function of dbscan_fit';

CREATE FUNCTION @extschema@.dbscan_fit_trans(@extschema@.points, bigint, double precision[], double precision, integer, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_dbscan_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dbscan_fit_trans(@extschema@.points, bigint, double precision[], double precision, integer, jsonb) IS 'Transition function of dbscan_fit with options';

CREATE FUNCTION @extschema@.dbscan_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_dbscan_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dbscan_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of dbscan_fit';

CREATE FUNCTION @extschema@.dbscan_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_dbscan_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dbscan_fit_final(@extschema@.points) IS 'Final function of dbscan_fit: DBSCAN of the collected rows as a dbscan model';

CREATE FUNCTION @extschema@.dbscan_assign(features double precision[], model @extschema@.model)
    RETURNS integer AS 'MODULE_PATHNAME', 'pp_dbscan_assign'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dbscan_assign(double precision[], @extschema@.model) IS 'Cluster of the nearest core point of a dbscan model within eps, or -1 (noise)';

CREATE FUNCTION @extschema@.dbscan_labels(model @extschema@.model)
    RETURNS TABLE (key bigint, cluster integer, core boolean)
    AS 'MODULE_PATHNAME', 'pp_dbscan_labels'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.dbscan_labels(@extschema@.model) IS 'One row per row a dbscan model was fitted on: its key, its cluster (1, 2, ...; -1 for noise) and whether it is a core point';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.dbscan_fit(key bigint, features double precision[], eps double precision, min_samples integer) (
    SFUNC = @extschema@.dbscan_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.dbscan_fit_combine, FINALFUNC = @extschema@.dbscan_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.dbscan_fit(bigint, double precision[], double precision, integer) IS 'DBSCAN (scikit-learn semantics) of the rows on standardized features as a dbscan model with the label of every key';

CREATE AGGREGATE @extschema@.dbscan_fit(key bigint, features double precision[], eps double precision, min_samples integer, options jsonb) (
    SFUNC = @extschema@.dbscan_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.dbscan_fit_combine, FINALFUNC = @extschema@.dbscan_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.dbscan_fit(bigint, double precision[], double precision, integer, jsonb) IS 'DBSCAN (scikit-learn semantics) of the rows as a dbscan model with the label of every key; option standardize (default true)';
