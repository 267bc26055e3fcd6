
-- ==================== tree: CART decision rules ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.decision_tree_fit_trans(@extschema@.points, double precision[], text)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_decision_tree_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_fit_trans(@extschema@.points, double precision[], text) IS 'Transition function of decision_tree_fit';

CREATE FUNCTION @extschema@.decision_tree_fit_trans(@extschema@.points, double precision[], text, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_decision_tree_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_fit_trans(@extschema@.points, double precision[], text, jsonb) IS 'Transition function of decision_tree_fit with options';

CREATE FUNCTION @extschema@.decision_tree_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_decision_tree_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of decision_tree_fit and segment_rules: merges the class labels';

CREATE FUNCTION @extschema@.decision_tree_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_decision_tree_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_fit_final(@extschema@.points) IS 'Final function of decision_tree_fit: the classification tree as a decision_tree model';

CREATE FUNCTION @extschema@.regression_tree_fit_trans(@extschema@.points, double precision[], double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_regression_tree_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.regression_tree_fit_trans(@extschema@.points, double precision[], double precision) IS 'Transition function of regression_tree_fit';

CREATE FUNCTION @extschema@.regression_tree_fit_trans(@extschema@.points, double precision[], double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_regression_tree_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.regression_tree_fit_trans(@extschema@.points, double precision[], double precision, jsonb) IS 'Transition function of regression_tree_fit with options';

CREATE FUNCTION @extschema@.regression_tree_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_regression_tree_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.regression_tree_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of regression_tree_fit';

CREATE FUNCTION @extschema@.regression_tree_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_regression_tree_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.regression_tree_fit_final(@extschema@.points) IS 'Final function of regression_tree_fit: the regression tree as a decision_tree model';

CREATE FUNCTION @extschema@.segment_rules_trans(@extschema@.points, double precision[], text)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_segment_rules_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.segment_rules_trans(@extschema@.points, double precision[], text) IS 'Transition function of segment_rules';

CREATE FUNCTION @extschema@.segment_rules_trans(@extschema@.points, double precision[], text, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_segment_rules_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.segment_rules_trans(@extschema@.points, double precision[], text, jsonb) IS 'Transition function of segment_rules with options';

CREATE FUNCTION @extschema@.segment_rules_final(@extschema@.points)
    RETURNS text[] AS 'MODULE_PATHNAME', 'pp_segment_rules_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.segment_rules_final(@extschema@.points) IS 'Final function of segment_rules: the rules of a shallow tree of segment membership';

CREATE FUNCTION @extschema@.tree_predict(model @extschema@.model, features double precision[])
    RETURNS text AS 'MODULE_PATHNAME', 'pp_tree_predict'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_predict(@extschema@.model, double precision[]) IS 'Class a classification decision_tree predicts for the features (NULL features follow the larger child)';

CREATE FUNCTION @extschema@.tree_probability(model @extschema@.model, features double precision[], class text)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_tree_probability'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_probability(@extschema@.model, double precision[], text) IS 'Probability of a class under a classification decision_tree: the weighted share of the class in the leaf of the features';

CREATE FUNCTION @extschema@.tree_value(model @extschema@.model, features double precision[])
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_tree_value'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_value(@extschema@.model, double precision[]) IS 'Value a regression decision_tree predicts for the features: the mean target of their leaf';

CREATE FUNCTION @extschema@.tree_leaf(model @extschema@.model, features double precision[])
    RETURNS integer AS 'MODULE_PATHNAME', 'pp_tree_leaf'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_leaf(@extschema@.model, double precision[]) IS 'Node number of the leaf of a decision_tree the features fall in (the leaf of tree_rules)';

CREATE FUNCTION @extschema@.tree_rules(model @extschema@.model)
    RETURNS TABLE (leaf integer, condition text, prediction text, purity double precision,
                   n bigint, share double precision, rule text)
    AS 'MODULE_PATHNAME', 'pp_tree_rules'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 16;
COMMENT ON FUNCTION @extschema@.tree_rules(@extschema@.model) IS 'One readable rule per leaf of a decision_tree: its condition, prediction, purity (share of its rows in the predicted class), support and the rule as a sentence';

CREATE FUNCTION @extschema@.tree_nodes(model @extschema@.model)
    RETURNS TABLE (node integer, depth integer, feature integer, feature_name text,
                   threshold double precision, levels double precision[], left_child integer,
                   right_child integer, n bigint, prediction text, impurity double precision)
    AS 'MODULE_PATHNAME', 'pp_tree_nodes'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 32;
COMMENT ON FUNCTION @extschema@.tree_nodes(@extschema@.model) IS 'One row per node of a decision_tree in preorder (scikit-learn''s numbering): split feature, threshold or levels going left, children, rows, prediction and impurity';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.decision_tree_fit(features double precision[], label text) (
    SFUNC = @extschema@.decision_tree_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.decision_tree_fit_combine, FINALFUNC = @extschema@.decision_tree_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.decision_tree_fit(double precision[], text) IS 'CART classification tree (gini, max_depth 5) of the labels on the features as a decision_tree model';

CREATE AGGREGATE @extschema@.decision_tree_fit(features double precision[], label text, options jsonb) (
    SFUNC = @extschema@.decision_tree_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.decision_tree_fit_combine, FINALFUNC = @extschema@.decision_tree_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.decision_tree_fit(double precision[], text, jsonb) IS 'CART classification tree as a decision_tree model; options criterion, max_depth, min_samples_leaf, class_weight, feature_names, categorical';

CREATE AGGREGATE @extschema@.regression_tree_fit(features double precision[], target double precision) (
    SFUNC = @extschema@.regression_tree_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.regression_tree_fit_combine, FINALFUNC = @extschema@.regression_tree_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.regression_tree_fit(double precision[], double precision) IS 'CART regression tree (squared error, max_depth 5) of the target on the features as a decision_tree model';

CREATE AGGREGATE @extschema@.regression_tree_fit(features double precision[], target double precision, options jsonb) (
    SFUNC = @extschema@.regression_tree_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.regression_tree_fit_combine, FINALFUNC = @extschema@.regression_tree_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.regression_tree_fit(double precision[], double precision, jsonb) IS 'CART regression tree as a decision_tree model; options max_depth, min_samples_leaf, feature_names, categorical';

CREATE AGGREGATE @extschema@.segment_rules(features double precision[], segment text) (
    SFUNC = @extschema@.segment_rules_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.decision_tree_fit_combine, FINALFUNC = @extschema@.segment_rules_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.segment_rules(double precision[], text) IS 'Readable definition of segments: the rules of a tree of segment membership (depth 3, leaves of at least 1% of the rows), largest first';

CREATE AGGREGATE @extschema@.segment_rules(features double precision[], segment text, options jsonb) (
    SFUNC = @extschema@.segment_rules_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.decision_tree_fit_combine, FINALFUNC = @extschema@.segment_rules_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.segment_rules(double precision[], text, jsonb) IS 'Readable definition of segments; option segment for one segment against the rest (only its rules), and the options of decision_tree_fit';

-- ---------- decision_tree_train: the level-wise trainer ----------

CREATE FUNCTION @extschema@.tree_level_trans(double precision[], double precision[], text, @extschema@.model, integer[], text[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_tree_level_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_level_trans(double precision[], double precision[], text, @extschema@.model, integer[], text[], double precision[]) IS 'Transition function of tree_level';

CREATE FUNCTION @extschema@.tree_level_combine(double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_tree_level_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_level_combine(double precision[], double precision[]) IS 'Combine function of tree_level';

CREATE AGGREGATE @extschema@.tree_level(features double precision[], label text, model @extschema@.model,
                                        open integer[], classes text[], edges double precision[]) (
    SFUNC = @extschema@.tree_level_trans, STYPE = double precision[],
    COMBINEFUNC = @extschema@.tree_level_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.tree_level(double precision[], text, @extschema@.model, integer[], text[], double precision[]) IS 'One decision_tree_train scan: per open leaf of the model, the row count of each class in each bin of each feature';

CREATE FUNCTION @extschema@.decision_tree_train(source text, features text, label text, options jsonb DEFAULT '{}')
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_decision_tree_train_query'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_train(text, text, text, jsonb) IS 'CART classification tree at scale over a query (or a table name): its float8[] features and text label columns; one parallel aggregate scan of per-leaf histograms per level (max_bins quantile bins per feature)';

CREATE FUNCTION @extschema@.decision_tree_train(source regclass, features text, label text, options jsonb DEFAULT '{}')
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_decision_tree_train_table'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_train(regclass, text, text, jsonb) IS 'CART classification tree at scale over a table or view: one parallel aggregate scan of per-leaf histograms per level';
