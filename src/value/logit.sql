
-- ==================== logit: logistic regression for churn with labels ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.churn_risk(features double precision[], model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_churn_risk_logit'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_risk(double precision[], @extschema@.model) IS 'Probability that the label is true (churn) for the given features under a logit model';

CREATE FUNCTION @extschema@.logit_coefficients(model @extschema@.model)
    RETURNS TABLE (name text, coef double precision, std_err double precision, z double precision,
                   p_value double precision, odds_ratio double precision)
    AS 'MODULE_PATHNAME', 'pp_logit_coefficients'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.logit_coefficients(@extschema@.model) IS 'One row per coefficient of a logit model (intercept first): estimate, standard error, z, two-sided p-value, odds ratio';

CREATE FUNCTION @extschema@.logit_train(source regclass, label text, features text[], options jsonb DEFAULT NULL)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_logit_train_rel'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.logit_train(regclass, text, text[], jsonb) IS 'Logistic regression over a table, one parallel aggregate scan (logit_step) per Newton step; same options and model as logit_fit';

CREATE FUNCTION @extschema@.logit_train(query text, label text, features text[], options jsonb DEFAULT NULL)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_logit_train_query'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.logit_train(text, text, text[], jsonb) IS 'Logistic regression over the rows of one query (or the table a name that is not a query names), one parallel aggregate scan (logit_step) per Newton step; same options and model as logit_fit';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.logit_fit_trans(@extschema@.points, boolean, double precision[])
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_logit_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_fit_trans(@extschema@.points, boolean, double precision[]) IS 'Transition function of logit_fit';

CREATE FUNCTION @extschema@.logit_fit_trans(@extschema@.points, boolean, double precision[], jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_logit_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_fit_trans(@extschema@.points, boolean, double precision[], jsonb) IS 'Transition function of logit_fit with options';

CREATE FUNCTION @extschema@.logit_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_logit_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of logit_fit';

CREATE FUNCTION @extschema@.logit_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_logit_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_fit_final(@extschema@.points) IS 'Final function of logit_fit: Newton/IRLS fit of the collected rows as a logit model';

CREATE FUNCTION @extschema@.auc_trans(@extschema@.points, double precision, boolean)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_auc_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.auc_trans(@extschema@.points, double precision, boolean) IS 'Transition function of auc';

CREATE FUNCTION @extschema@.auc_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_auc_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.auc_combine(@extschema@.points, @extschema@.points) IS 'Combine function of auc';

CREATE FUNCTION @extschema@.auc_final(@extschema@.points)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_auc_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.auc_final(@extschema@.points) IS 'Final function of auc: exact area under the ROC curve, ties counted half';

CREATE FUNCTION @extschema@.logit_step_trans(double precision[], boolean, double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_logit_step_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_step_trans(double precision[], boolean, double precision[], double precision[]) IS 'Transition function of logit_step';

CREATE FUNCTION @extschema@.logit_step_combine(double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_logit_step_combine'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_step_combine(double precision[], double precision[]) IS 'Combine function of logit_step: adds the sums';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.logit_fit(label boolean, features double precision[]) (
    SFUNC = @extschema@.logit_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.logit_fit_combine, FINALFUNC = @extschema@.logit_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.logit_fit(boolean, double precision[]) IS 'Logistic regression (Newton/IRLS, intercept, no penalty) of label on features as a logit model';

CREATE AGGREGATE @extschema@.logit_fit(label boolean, features double precision[], options jsonb) (
    SFUNC = @extschema@.logit_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.logit_fit_combine, FINALFUNC = @extschema@.logit_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.logit_fit(boolean, double precision[], jsonb) IS 'Logistic regression of label on features with options (lambda, standardize, tol, max_iter, feature_names) as a logit model';

CREATE AGGREGATE @extschema@.auc(score double precision, label boolean) (
    SFUNC = @extschema@.auc_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.auc_combine, FINALFUNC = @extschema@.auc_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.auc(double precision, boolean) IS 'Exact area under the ROC curve of score against label (ties count half); NULL unless both classes occur';

CREATE AGGREGATE @extschema@.logit_step(label boolean, features double precision[], coefs double precision[]) (
    SFUNC = @extschema@.logit_step_trans, STYPE = double precision[],
    COMBINEFUNC = @extschema@.logit_step_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.logit_step(boolean, double precision[], double precision[]) IS 'One Newton step of logistic regression at coefs: [n, log-likelihood, misclassified, exactly fitted, gradient (k), upper triangle of X''WX] as float8[]';
