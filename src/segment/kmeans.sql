
-- ==================== kmeans: segmentation ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_kmeans_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer) IS 'Transition function of kmeans_fit';

CREATE FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_kmeans_fit_trans_options'
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

-- ---------- kmeans_train: the streaming trainer ----------

CREATE FUNCTION @extschema@.kmeans_stats_trans(double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_kmeans_stats_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_stats_trans(double precision[], double precision[]) IS 'Transition function of kmeans_stats';

CREATE FUNCTION @extschema@.kmeans_stats_combine(double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_kmeans_stats_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_stats_combine(double precision[], double precision[]) IS 'Combine function of kmeans_stats';

CREATE FUNCTION @extschema@.kmeans_step_trans(double precision[], double precision[], @extschema@.model)
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_kmeans_step_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_step_trans(double precision[], double precision[], @extschema@.model) IS 'Transition function of kmeans_step';

CREATE FUNCTION @extschema@.kmeans_step_combine(double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_kmeans_step_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_step_combine(double precision[], double precision[]) IS 'Combine function of kmeans_step';

CREATE FUNCTION @extschema@.kmeans_sample(features double precision[], seed bigint)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_kmeans_sample'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_sample(double precision[], bigint) IS 'A number in [0, 1) hashed from the features and a seed: WHERE kmeans_sample(f, seed) < p keeps a row-order independent sample';

CREATE FUNCTION @extschema@.kmeans_train_init(stats double precision[], sample_model @extschema@.model, options jsonb)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_kmeans_train_init'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_train_init(double precision[], @extschema@.model, jsonb) IS 'kmeans_train: the first model, from the input''s statistics and a fit on a sample';

CREATE FUNCTION @extschema@.kmeans_train_update(model @extschema@.model, step double precision[], options jsonb, final boolean)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_kmeans_train_update'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_train_update(@extschema@.model, double precision[], jsonb, boolean) IS 'kmeans_train: one Lloyd update of a model from a kmeans_step over the input';

CREATE AGGREGATE @extschema@.kmeans_stats(features double precision[]) (
    SFUNC = @extschema@.kmeans_stats_trans, STYPE = double precision[],
    COMBINEFUNC = @extschema@.kmeans_stats_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_stats(double precision[]) IS 'Count, per-feature means and sums of squared deviations of feature vectors (state of kmeans_train''s scaler)';

CREATE AGGREGATE @extschema@.kmeans_step(features double precision[], model @extschema@.model) (
    SFUNC = @extschema@.kmeans_step_trans, STYPE = double precision[],
    COMBINEFUNC = @extschema@.kmeans_step_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_step(double precision[], @extschema@.model) IS 'One k-means scan: per-cluster counts and sums and the inertia of the model''s assignment';

CREATE FUNCTION @extschema@.kmeans_train(source text, features text, k integer, options jsonb DEFAULT '{}')
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_kmeans_train_query'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.kmeans_train(text, text, integer, jsonb) IS 'K-means at scale over a query (or a table name): its float8[] features column, k; one parallel aggregate scan per Lloyd iteration, started from kmeans_fit on a seeded sample';

CREATE FUNCTION @extschema@.kmeans_train(source regclass, features text, k integer, options jsonb DEFAULT '{}')
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_kmeans_train_table'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.kmeans_train(regclass, text, integer, jsonb) IS 'K-means at scale over a table or view: one parallel aggregate scan per Lloyd iteration, started from kmeans_fit on a seeded sample';
