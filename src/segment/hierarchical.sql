
-- ==================== hierarchical: agglomerative clustering ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.hclust_fit_trans(@extschema@.points, bigint, double precision[], text)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_hclust_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hclust_fit_trans(@extschema@.points, bigint, double precision[], text) IS 'Transition function of hclust_fit';

CREATE FUNCTION @extschema@.hclust_fit_trans(@extschema@.points, bigint, double precision[], text, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_hclust_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hclust_fit_trans(@extschema@.points, bigint, double precision[], text, jsonb) IS 'Transition function of hclust_fit with options';

CREATE FUNCTION @extschema@.hclust_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_hclust_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hclust_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of hclust_fit';

CREATE FUNCTION @extschema@.hclust_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_hclust_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hclust_fit_final(@extschema@.points) IS 'Final function of hclust_fit: agglomerative clustering of the collected rows as a hierarchical model';

CREATE FUNCTION @extschema@.hclust_kmeans(model @extschema@.model, method text DEFAULT 'ward')
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_hclust_kmeans'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hclust_kmeans(@extschema@.model, text) IS 'Two-step hierarchical clustering: agglomerative clustering of the clusters of a kmeans model (keys = its cluster numbers), each weighted by its size';

CREATE FUNCTION @extschema@.hclust_merges(model @extschema@.model)
    RETURNS TABLE (step integer, cluster_a bigint, cluster_b bigint, height double precision, size bigint)
    AS 'MODULE_PATHNAME', 'pp_hclust_merges'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.hclust_merges(@extschema@.model) IS 'The dendrogram of a hierarchical model as scipy''s linkage matrix: at each step clusters a < b merge at height into a cluster of size rows, id n + step - 1; ids 0..n-1 are the rows in key order';

CREATE FUNCTION @extschema@.hclust_cut(model @extschema@.model, k integer)
    RETURNS TABLE (key bigint, cluster integer)
    AS 'MODULE_PATHNAME', 'pp_hclust_cut'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.hclust_cut(@extschema@.model, integer) IS 'Cluster (1..k, in the order of the lowest key) of every row of a hierarchical model cut into k clusters';

CREATE FUNCTION @extschema@.hclust_cut_height(model @extschema@.model, height double precision)
    RETURNS TABLE (key bigint, cluster integer)
    AS 'MODULE_PATHNAME', 'pp_hclust_cut_height'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.hclust_cut_height(@extschema@.model, double precision) IS 'Cluster (1, 2, ... in the order of the lowest key) of every row of a hierarchical model after the merges at heights <= height';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.hclust_fit(key bigint, features double precision[], method text) (
    SFUNC = @extschema@.hclust_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.hclust_fit_combine, FINALFUNC = @extschema@.hclust_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.hclust_fit(bigint, double precision[], text) IS 'Exact agglomerative clustering (ward, complete, average or single linkage) of up to 50000 rows on standardized features as a hierarchical model';

CREATE AGGREGATE @extschema@.hclust_fit(key bigint, features double precision[], method text, options jsonb) (
    SFUNC = @extschema@.hclust_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.hclust_fit_combine, FINALFUNC = @extschema@.hclust_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.hclust_fit(bigint, double precision[], text, jsonb) IS 'Exact agglomerative clustering of up to 50000 rows as a hierarchical model; option standardize (default true)';
