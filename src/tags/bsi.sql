-- ==================== tags: bit-sliced indexes of numeric tags ====================

CREATE TYPE @extschema@.bsi;

CREATE FUNCTION @extschema@.bsi_in(cstring) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_in(cstring) IS 'Text input of portrait.bsi: {id:value,...}; the scale is the largest number of decimals written';

CREATE FUNCTION @extschema@.bsi_out(@extschema@.bsi) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_bsi_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_out(@extschema@.bsi) IS 'Text output of portrait.bsi: {id:value,...} by ascending id, values with the index''s decimals';

CREATE FUNCTION @extschema@.bsi_recv(internal) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_recv(internal) IS 'Binary input of portrait.bsi: header and Roaring portable bitmaps, each validated';

CREATE FUNCTION @extschema@.bsi_send(@extschema@.bsi) RETURNS bytea
    AS 'MODULE_PATHNAME', 'pp_bsi_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_send(@extschema@.bsi) IS 'Binary output of portrait.bsi: header and Roaring portable bitmaps';

CREATE TYPE @extschema@.bsi (
    INPUT = @extschema@.bsi_in,
    OUTPUT = @extschema@.bsi_out,
    RECEIVE = @extschema@.bsi_recv,
    SEND = @extschema@.bsi_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.bsi IS 'Values of a numeric tag per dense customer id: a bit-sliced index over Roaring bitmaps, fixed point at a scale of 0 to 12 decimals, exact range conditions';

CREATE FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, double precision, integer) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_trans_float8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, double precision, integer) IS 'Transition function of bsi_agg(bigint, double precision, integer)';

CREATE FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, numeric, integer) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_trans_numeric' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, numeric, integer) IS 'Transition function of bsi_agg(bigint, numeric, integer)';

CREATE FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, bigint, integer) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_trans_int8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, bigint, integer) IS 'Transition function of bsi_agg(bigint, bigint, integer)';

CREATE FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, integer, integer) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_trans_int4' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, integer, integer) IS 'Transition function of bsi_agg(bigint, integer, integer)';

CREATE FUNCTION @extschema@.bsi_merge_trans(@extschema@.bsi, @extschema@.bsi) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_merge_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_merge_trans(@extschema@.bsi, @extschema@.bsi) IS 'Combine function of bsi_agg: the union of two indexes of the same scale over disjoint ids';

CREATE AGGREGATE @extschema@.bsi_agg(bigint, double precision, integer) (
    SFUNC = @extschema@.bsi_agg_trans, STYPE = @extschema@.bsi,
    COMBINEFUNC = @extschema@.bsi_merge_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bsi_agg(bigint, double precision, integer) IS 'Numeric tag index of (id, value) rows at a scale of 0 to 12 decimals: values rounded half away from zero as round(value::numeric, scale); rows with a NULL id or value skipped; 21000 when an id has two values';

CREATE AGGREGATE @extschema@.bsi_agg(bigint, numeric, integer) (
    SFUNC = @extschema@.bsi_agg_trans, STYPE = @extschema@.bsi,
    COMBINEFUNC = @extschema@.bsi_merge_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bsi_agg(bigint, numeric, integer) IS 'Numeric tag index of (id, value) rows at a scale of 0 to 12 decimals: values rounded half away from zero as round(value, scale); rows with a NULL id or value skipped; 21000 when an id has two values';

CREATE AGGREGATE @extschema@.bsi_agg(bigint, bigint, integer) (
    SFUNC = @extschema@.bsi_agg_trans, STYPE = @extschema@.bsi,
    COMBINEFUNC = @extschema@.bsi_merge_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bsi_agg(bigint, bigint, integer) IS 'Numeric tag index of (id, integer value) rows; rows with a NULL id or value skipped; 21000 when an id has two values';

CREATE AGGREGATE @extschema@.bsi_agg(bigint, integer, integer) (
    SFUNC = @extschema@.bsi_agg_trans, STYPE = @extschema@.bsi,
    COMBINEFUNC = @extschema@.bsi_merge_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bsi_agg(bigint, integer, integer) IS 'Numeric tag index of (id, integer value) rows; rows with a NULL id or value skipped; 21000 when an id has two values';

CREATE FUNCTION @extschema@.bsi_compare(@extschema@.bsi, op text, value numeric) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bsi_compare' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_compare(@extschema@.bsi, text, numeric) IS 'Ids whose value compares true with value by op (=, <>, !=, <, <=, >, >=), exactly: the constant is not rounded to the scale; ids without a value never match';

CREATE FUNCTION @extschema@.bsi_between(@extschema@.bsi, lo numeric, hi numeric) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bsi_between' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_between(@extschema@.bsi, numeric, numeric) IS 'Ids whose value is at least lo and at most hi (BETWEEN), exactly';

CREATE FUNCTION @extschema@.bsi_ids(@extschema@.bsi) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bsi_ids' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_ids(@extschema@.bsi) IS 'Ids that have a value';

CREATE FUNCTION @extschema@.bsi_count(@extschema@.bsi) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_bsi_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_count(@extschema@.bsi) IS 'Number of ids that have a value';

CREATE FUNCTION @extschema@.bsi_scale(@extschema@.bsi) RETURNS integer
    AS 'MODULE_PATHNAME', 'pp_bsi_scale' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_scale(@extschema@.bsi) IS 'Decimals the index keeps';

CREATE FUNCTION @extschema@.bsi_sum(@extschema@.bsi) RETURNS numeric
    AS 'MODULE_PATHNAME', 'pp_bsi_sum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_sum(@extschema@.bsi) IS 'Exact sum of the values';

CREATE FUNCTION @extschema@.bsi_sum(@extschema@.bsi, filter @extschema@.bitmap) RETURNS numeric
    AS 'MODULE_PATHNAME', 'pp_bsi_sum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_sum(@extschema@.bsi, @extschema@.bitmap) IS 'Exact sum of the values of the ids in filter, from bitmap intersections';

CREATE FUNCTION @extschema@.bsi_value(@extschema@.bsi, id bigint) RETURNS numeric
    AS 'MODULE_PATHNAME', 'pp_bsi_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_value(@extschema@.bsi, bigint) IS 'Value of one id (NULL when it has none)';

CREATE FUNCTION @extschema@.bsi_values(@extschema@.bsi, OUT id bigint, OUT value numeric) RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'pp_bsi_values' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.bsi_values(@extschema@.bsi) IS 'Every id with its value, by ascending id';
