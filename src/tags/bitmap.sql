-- ==================== tags: bitmaps of dense customer ids ====================

-- ---------- type ----------

CREATE TYPE @extschema@.bitmap;

CREATE FUNCTION @extschema@.bitmap_in(cstring) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_in(cstring) IS 'Text input of portrait.bitmap: {id,id,...}, ids 0 to 4294967295';

CREATE FUNCTION @extschema@.bitmap_out(@extschema@.bitmap) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_bitmap_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_out(@extschema@.bitmap) IS 'Text output of portrait.bitmap: the ids ascending, {1,2,3}';

CREATE FUNCTION @extschema@.bitmap_recv(internal) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_recv(internal) IS 'Binary input of portrait.bitmap: Roaring portable serialisation, validated';

CREATE FUNCTION @extschema@.bitmap_send(@extschema@.bitmap) RETURNS bytea
    AS 'MODULE_PATHNAME', 'pp_bitmap_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_send(@extschema@.bitmap) IS 'Binary output of portrait.bitmap: Roaring portable serialisation';

CREATE TYPE @extschema@.bitmap (
    INPUT = @extschema@.bitmap_in,
    OUTPUT = @extschema@.bitmap_out,
    RECEIVE = @extschema@.bitmap_recv,
    SEND = @extschema@.bitmap_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.bitmap IS 'Set of dense 32-bit customer ids (CRoaring); binary form and bytea cast are the Roaring portable serialisation';

-- ---------- casts ----------

CREATE FUNCTION @extschema@.bitmap(bytea) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_from_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap(bytea) IS 'Bitmap from a Roaring portable serialisation (written by any Roaring implementation); 22P03 when the bytes are not one';

CREATE FUNCTION @extschema@.bitmap_bytes(@extschema@.bitmap) RETURNS bytea
    AS 'MODULE_PATHNAME', 'pp_bitmap_to_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_bytes(@extschema@.bitmap) IS 'Roaring portable serialisation of a bitmap, for other Roaring implementations';

CREATE CAST (bytea AS @extschema@.bitmap) WITH FUNCTION @extschema@.bitmap(bytea);
COMMENT ON CAST (bytea AS @extschema@.bitmap) IS 'Read a Roaring portable serialisation';

CREATE CAST (@extschema@.bitmap AS bytea) WITH FUNCTION @extschema@.bitmap_bytes(@extschema@.bitmap);
COMMENT ON CAST (@extschema@.bitmap AS bytea) IS 'Write a Roaring portable serialisation';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.bitmap_of(bigint[]) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_of(bigint[]) IS 'Bitmap of the ids of an array (NULL elements skipped; 22003 outside 0 to 4294967295)';

CREATE FUNCTION @extschema@.bitmap_cardinality(@extschema@.bitmap) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_bitmap_cardinality' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_cardinality(@extschema@.bitmap) IS 'Number of ids in a bitmap';

CREATE FUNCTION @extschema@.bitmap_contains(@extschema@.bitmap, bigint) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pp_bitmap_contains' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_contains(@extschema@.bitmap, bigint) IS 'Whether a bitmap holds an id (false for ids outside 0 to 4294967295)';

CREATE FUNCTION @extschema@.bitmap_and(@extschema@.bitmap, @extschema@.bitmap) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_and' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_and(@extschema@.bitmap, @extschema@.bitmap) IS 'Intersection of two bitmaps (operator &)';

CREATE FUNCTION @extschema@.bitmap_or(@extschema@.bitmap, @extschema@.bitmap) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_or' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_or(@extschema@.bitmap, @extschema@.bitmap) IS 'Union of two bitmaps (operator |)';

CREATE FUNCTION @extschema@.bitmap_andnot(@extschema@.bitmap, @extschema@.bitmap) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_andnot' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_andnot(@extschema@.bitmap, @extschema@.bitmap) IS 'Ids of the first bitmap not in the second (operator -)';

CREATE FUNCTION @extschema@.bitmap_xor(@extschema@.bitmap, @extschema@.bitmap) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_xor' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_xor(@extschema@.bitmap, @extschema@.bitmap) IS 'Ids in exactly one of two bitmaps (operator #)';

CREATE FUNCTION @extschema@.bitmap_eq(@extschema@.bitmap, @extschema@.bitmap) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pp_bitmap_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_eq(@extschema@.bitmap, @extschema@.bitmap) IS 'Whether two bitmaps hold the same ids (operator =)';

CREATE FUNCTION @extschema@.bitmap_to_array(@extschema@.bitmap) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'pp_bitmap_to_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_to_array(@extschema@.bitmap) IS 'Ids of a bitmap ascending, as an array';

CREATE FUNCTION @extschema@.bitmap_unnest(@extschema@.bitmap) RETURNS SETOF bigint
    AS 'MODULE_PATHNAME', 'pp_bitmap_unnest' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.bitmap_unnest(@extschema@.bitmap) IS 'Ids of a bitmap ascending, one row each';

-- ---------- operators ----------

CREATE OPERATOR @extschema@.& (LEFTARG = @extschema@.bitmap, RIGHTARG = @extschema@.bitmap,
    FUNCTION = @extschema@.bitmap_and, COMMUTATOR = OPERATOR(@extschema@.&));
COMMENT ON OPERATOR @extschema@.& (@extschema@.bitmap, @extschema@.bitmap) IS 'Intersection of two bitmaps';

CREATE OPERATOR @extschema@.| (LEFTARG = @extschema@.bitmap, RIGHTARG = @extschema@.bitmap,
    FUNCTION = @extschema@.bitmap_or, COMMUTATOR = OPERATOR(@extschema@.|));
COMMENT ON OPERATOR @extschema@.| (@extschema@.bitmap, @extschema@.bitmap) IS 'Union of two bitmaps';

CREATE OPERATOR @extschema@.- (LEFTARG = @extschema@.bitmap, RIGHTARG = @extschema@.bitmap,
    FUNCTION = @extschema@.bitmap_andnot);
COMMENT ON OPERATOR @extschema@.- (@extschema@.bitmap, @extschema@.bitmap) IS 'Ids of the left bitmap not in the right one';

CREATE OPERATOR @extschema@.# (LEFTARG = @extschema@.bitmap, RIGHTARG = @extschema@.bitmap,
    FUNCTION = @extschema@.bitmap_xor, COMMUTATOR = OPERATOR(@extschema@.#));
COMMENT ON OPERATOR @extschema@.# (@extschema@.bitmap, @extschema@.bitmap) IS 'Ids in exactly one of two bitmaps';

CREATE OPERATOR @extschema@.= (LEFTARG = @extschema@.bitmap, RIGHTARG = @extschema@.bitmap,
    FUNCTION = @extschema@.bitmap_eq, COMMUTATOR = OPERATOR(@extschema@.=));
COMMENT ON OPERATOR @extschema@.= (@extschema@.bitmap, @extschema@.bitmap) IS 'Whether two bitmaps hold the same ids';

-- ---------- aggregates ----------

CREATE FUNCTION @extschema@.bitmap_add_trans(@extschema@.bitmap, bigint) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_add_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_add_trans(@extschema@.bitmap, bigint) IS 'Transition function of bitmap_agg';

CREATE FUNCTION @extschema@.bitmap_add_trans(@extschema@.bitmap, integer) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_add_trans_int4' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_add_trans(@extschema@.bitmap, integer) IS 'Transition function of bitmap_agg over integer ids';

CREATE FUNCTION @extschema@.bitmap_or_trans(@extschema@.bitmap, @extschema@.bitmap) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_or_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_or_trans(@extschema@.bitmap, @extschema@.bitmap) IS 'Combine function of bitmap_agg, transition function of bitmap_or_agg';

CREATE AGGREGATE @extschema@.bitmap_agg(id bigint) (
    SFUNC = @extschema@.bitmap_add_trans, STYPE = @extschema@.bitmap,
    COMBINEFUNC = @extschema@.bitmap_or_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bitmap_agg(bigint) IS 'Bitmap of the ids of the rows (NULL ids skipped, NULL for no ids; 22003 outside 0 to 4294967295)';

CREATE AGGREGATE @extschema@.bitmap_agg(id integer) (
    SFUNC = @extschema@.bitmap_add_trans, STYPE = @extschema@.bitmap,
    COMBINEFUNC = @extschema@.bitmap_or_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bitmap_agg(integer) IS 'Bitmap of the ids of the rows (NULL ids skipped, NULL for no ids; 22003 for negative ids)';

CREATE AGGREGATE @extschema@.bitmap_or_agg(@extschema@.bitmap) (
    SFUNC = @extschema@.bitmap_or_trans, STYPE = @extschema@.bitmap,
    COMBINEFUNC = @extschema@.bitmap_or_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bitmap_or_agg(@extschema@.bitmap) IS 'Union of the bitmaps of the rows (NULLs skipped, NULL for none)';
