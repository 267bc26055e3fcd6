
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

CREATE FUNCTION @extschema@.kmeans_scale(features double precision[], model @extschema@.model)
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_kmeans_scale'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_scale(double precision[], @extschema@.model) IS 'Features in the space a kmeans model clusters in (z-scores when it standardizes), e.g. for silhouette';

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

-- ---------- silhouette ----------

CREATE TYPE @extschema@.silhouette_result AS (
    silhouette  double precision,
    n           bigint,
    rows_used   bigint,
    exact       boolean
);
COMMENT ON TYPE @extschema@.silhouette_result IS 'Result of silhouette: the mean silhouette, rows given, rows it was computed on, and whether that was all of them';

CREATE FUNCTION @extschema@.silhouette_trans(@extschema@.points, double precision[], integer)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_silhouette_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.silhouette_trans(@extschema@.points, double precision[], integer) IS 'Transition function of silhouette';

CREATE FUNCTION @extschema@.silhouette_trans(@extschema@.points, double precision[], integer, integer)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_silhouette_trans_sample'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.silhouette_trans(@extschema@.points, double precision[], integer, integer) IS 'Transition function of silhouette with a sample size';

CREATE FUNCTION @extschema@.silhouette_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_silhouette_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.silhouette_combine(@extschema@.points, @extschema@.points) IS 'Combine function of silhouette';

CREATE FUNCTION @extschema@.silhouette_final(@extschema@.points)
    RETURNS @extschema@.silhouette_result AS 'MODULE_PATHNAME', 'pp_silhouette_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.silhouette_final(@extschema@.points) IS 'Final function of silhouette';

CREATE AGGREGATE @extschema@.silhouette(features double precision[], cluster integer) (
    SFUNC = @extschema@.silhouette_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.silhouette_combine, FINALFUNC = @extschema@.silhouette_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.silhouette(double precision[], integer) IS 'Mean silhouette of a clustering (Euclidean); exact up to 10000 rows, above that on a seeded sample of 10000';

CREATE AGGREGATE @extschema@.silhouette(features double precision[], cluster integer, max_exact integer) (
    SFUNC = @extschema@.silhouette_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.silhouette_combine, FINALFUNC = @extschema@.silhouette_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.silhouette(double precision[], integer, integer) IS 'Mean silhouette of a clustering (Euclidean); exact up to max_exact rows, above that on a seeded sample of max_exact';
