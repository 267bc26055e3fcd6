
-- ==================== model: the one model type ====================

CREATE TYPE @extschema@.model;

CREATE FUNCTION @extschema@.model_in(cstring) RETURNS @extschema@.model
    AS 'MODULE_PATHNAME', 'pp_model_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_in(cstring) IS 'Text input of portrait.model: a JSON object with "kind", "format" and the kind''s fields';

CREATE FUNCTION @extschema@.model_out(@extschema@.model) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_out(@extschema@.model) IS 'Text output of portrait.model: JSON that reads back to the identical model';

CREATE FUNCTION @extschema@.model_recv(internal) RETURNS @extschema@.model
    AS 'MODULE_PATHNAME', 'pp_model_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_recv(internal) IS 'Binary input of portrait.model (validated like text input)';

CREATE FUNCTION @extschema@.model_send(@extschema@.model) RETURNS bytea
    AS 'MODULE_PATHNAME', 'pp_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_send(@extschema@.model) IS 'Binary output of portrait.model';

CREATE TYPE @extschema@.model (
    INPUT = @extschema@.model_in,
    OUTPUT = @extschema@.model_out,
    RECEIVE = @extschema@.model_recv,
    SEND = @extschema@.model_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.model IS 'A fitted pg_portrait model (RFM breaks, k-means, BG/NBD, ...): compact binary inside, JSON as text';

CREATE FUNCTION @extschema@.model_kind(@extschema@.model) RETURNS text
    AS 'MODULE_PATHNAME', 'pp_model_kind' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_kind(@extschema@.model) IS 'The kind of a model: rfm, kmeans, bgnbd, gamma_gamma, logit, mbgnbd, pareto_nbd, isolation_forest, decision_tree, item_similarity, attribution, dbscan or hierarchical';

CREATE FUNCTION @extschema@.model_to_jsonb(@extschema@.model) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pp_model_to_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_to_jsonb(@extschema@.model) IS 'A model as jsonb, for BI tools and jsonb operators';

CREATE CAST (@extschema@.model AS jsonb) WITH FUNCTION @extschema@.model_to_jsonb(@extschema@.model);
COMMENT ON CAST (@extschema@.model AS jsonb) IS 'A model as jsonb (the same document as its text form)';
