
-- ==================== kmeans: segmentation ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_kmeans_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer) IS 'Transition function of kmeans_fit';

CREATE FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_kmeans_fit_trans_opts'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer, jsonb) IS 'Transition function of kmeans_fit with options';

CREATE FUNCTION @extschema@.kmeans_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_kmeans_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of kmeans_fit';

CREATE FUNCTION @extschema@.kmeans_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_kmeans_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_fit_final(@extschema@.points) IS 'Final function of kmeans_fit: the k-means fit as a kmeans model';

CREATE FUNCTION @extschema@.kmeans_assign(features double precision[], model @extschema@.model)
    RETURNS integer AS 'MODULE_PATHNAME', 'pp_kmeans_assign'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_assign(double precision[], @extschema@.model) IS 'Cluster (1..k) of the nearest centroid of a kmeans model';

CREATE FUNCTION @extschema@.kmeans_distance(features double precision[], model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_kmeans_distance'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_distance(double precision[], @extschema@.model) IS 'Euclidean distance to the nearest centroid (in standard units when the model standardizes): an outlier score';

CREATE FUNCTION @extschema@.kmeans_centroids(model @extschema@.model)
    RETURNS TABLE (cluster integer, size bigint, share double precision,
                   centroid double precision[], deviation double precision[], label text)
    AS 'MODULE_PATHNAME', 'pp_kmeans_centroids'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION @extschema@.kmeans_centroids(@extschema@.model) IS 'One row per cluster of a kmeans model: size, share, centroid in original units, deviation from the population in standard units, profile label';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer) (
    SFUNC = @extschema@.kmeans_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.kmeans_fit_combine, FINALFUNC = @extschema@.kmeans_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer) IS 'K-means clustering of the rows into k clusters (k-means++, 10 restarts, standardized features) as a kmeans model';

CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, options jsonb) (
    SFUNC = @extschema@.kmeans_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.kmeans_fit_combine, FINALFUNC = @extschema@.kmeans_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, jsonb) IS 'K-means clustering of the rows into k clusters as a kmeans model; options seed, n_init, max_iter, tol, init, standardize, feature_names, algorithm';
